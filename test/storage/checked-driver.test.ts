/**
 * The wrapper createStorage puts around every driver: which paths each operation takes, and
 * what it counts (operations by result, bytes read and written) on the app's /metrics. The
 * shared suite runs every driver through it too (local.test.ts and the others).
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { createMetrics, type Metrics } from '../../lib/metrics/registry.js';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import { type StorageDriver, writeFromStream } from '../../lib/storage/driver.js';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { MemoryDriver } from '../../lib/storage/drivers/memory.js';
import { tempDir, testConfig } from '../support/config.js';
import { startTestServer } from '../support/server.js';
import { readAll, rejectsKind } from './driver-suite.js';

/** A counter's value for the labels given (0 when never counted). */
async function counted(metric: Metrics['storageOperations'] | Metrics['storageBytes'], labels: Record<string, string>): Promise<number> {
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => (v.labels as Record<string, unknown>)[k] === want));
  return hit?.value ?? 0;
}

describe('storage: the checked wrapper', () => {
  describe('path checks', () => {
    /** Every call the wrapped driver got: a refused path must never get there. */
    function recording(): { driver: StorageDriver; calls: string[] } {
      const inner = new MemoryDriver();
      const calls: string[] = [];
      const driver = new Proxy(inner, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            calls.push(String(prop));
            return value.apply(target, args);
          };
        },
      });
      return { driver: new CheckedDriver(driver), calls };
    }

    it('the root is a path for stat and list only', async () => {
      const { driver: d, calls } = recording();
      await rejectsKind(d.stat(''), 'not_found');
      await rejectsKind(d.list(''), 'not_found');
      assert.deepEqual(calls, ['stat', 'list']);
      calls.length = 0;
      await rejectsKind(d.getContent(''), 'invalid_path');
      await rejectsKind(d.putContent('', 'x'), 'invalid_path');
      await rejectsKind(d.reader(''), 'invalid_path');
      await rejectsKind(d.writer(''), 'invalid_path');
      await rejectsKind(d.delete(''), 'invalid_path');
      await rejectsKind(d.move('', 'x'), 'invalid_path');
      await rejectsKind(d.redirectUrl(''), 'invalid_path');
      assert.deepEqual(calls, [], 'no refused call reached the driver');
    });

    it('both ends of a move are checked, and a bad range is refused with the path', async () => {
      const { driver: d, calls } = recording();
      await d.putContent('a/b', 'x');
      await rejectsKind(d.move('a/b', '../c'), 'invalid_path');
      await rejectsKind(d.move('../c', 'a/b'), 'invalid_path');
      await rejectsKind(d.reader('a/b', { offset: -1 }), 'invalid_path');
      assert.deepEqual(calls, ['putContent']);
      assert.equal((await d.getContent('a/b')).toString(), 'x');
    });

    it('a refusal names the wrapped driver', async () => {
      await assert.rejects(new CheckedDriver(new MemoryDriver()).getContent('a//b'), /^StorageError: memory: invalid path: bad component ""/);
    });

    it('offers appender only where the wrapped driver does', () => {
      assert.equal(new CheckedDriver(new MemoryDriver()).appender, undefined);
      assert.equal(typeof new CheckedDriver(new LocalDriver(tempDir())).appender, 'function');
    });
  });

  describe('metrics', () => {
    let metrics: Metrics;
    let d: CheckedDriver;
    const ops = (op: string, result: string) => counted(metrics.storageOperations, { driver: 'memory', op, result });
    const bytes = (direction: string) => counted(metrics.storageBytes, { driver: 'memory', direction });
    beforeEach(() => {
      metrics = createMetrics(false);
      d = new CheckedDriver(new MemoryDriver(), metrics);
    });

    it('counts every call by driver, operation and result', async () => {
      await d.putContent('a/b', 'xyz');
      await d.getContent('a/b');
      await rejectsKind(d.getContent('a/missing'), 'not_found');
      await rejectsKind(d.getContent('../x'), 'invalid_path');
      await d.stat('a');
      await d.delete('a');
      assert.equal(await ops('putContent', 'ok'), 1);
      assert.equal(await ops('getContent', 'ok'), 1);
      assert.equal(await ops('getContent', 'not_found'), 1);
      assert.equal(await ops('getContent', 'invalid_path'), 1);
      assert.equal(await ops('stat', 'ok'), 1);
      assert.equal(await ops('delete', 'ok'), 1);
    });

    it('counts bytes read as a reader streams them, and bytes written when a writer commits', async () => {
      const content = Buffer.alloc(3 * 1024 * 1024 + 5, 1);
      assert.equal(await writeFromStream(d, 'obj', Readable.from([content.subarray(0, 1024), content.subarray(1024)])), content.length);
      assert.equal(await bytes('written'), content.length);
      await d.putContent('small', 'four');
      assert.equal(await bytes('written'), content.length + 4);
      assert.deepEqual(await readAll(await d.reader('obj')), content);
      assert.equal(await bytes('read'), content.length);
      assert.equal((await readAll(await d.reader('obj', { offset: 5, length: 10 }))).length, 10);
      await d.getContent('small');
      assert.equal(await bytes('read'), content.length + 10 + 4);
      assert.equal(await ops('reader', 'ok'), 2);
      assert.equal(await ops('commit', 'ok'), 1);
    });

    it('a cancelled writer writes nothing; a failed commit is an error', async () => {
      const cancelled = await d.writer('obj');
      cancelled.stream.write(Buffer.from('never committed'));
      await cancelled.cancel();
      assert.equal(await bytes('written'), 0);
      const twice = await d.writer('obj');
      await twice.commit();
      await assert.rejects(twice.commit(), /already finished/);
      assert.equal(await ops('commit', 'ok'), 1);
      assert.equal(await ops('commit', 'other'), 1);
    });

    it('a reader aborted by its signal fails for whoever reads it, and one dropped halfway closes', async () => {
      await d.putContent('obj', Buffer.alloc(4 * 1024 * 1024));
      const controller = new AbortController();
      const aborted = await d.reader('obj', { signal: controller.signal });
      controller.abort();
      await assert.rejects(readAll(aborted), { name: 'AbortError' });
      const dropped = await d.reader('obj');
      await new Promise<void>((resolve) => {
        dropped.once('data', () => dropped.destroy());
        dropped.once('close', resolve);
      });
      assert.ok((await bytes('read')) <= 4 * 1024 * 1024);
    });

    it('are on the app’s /metrics', async () => {
      const root = tempDir('berth-metrics-');
      const srv = await startTestServer(testConfig('', {}, root));
      try {
        assert.equal((await fetch(`${srv.url}/_status`)).status, 200); // a storage round-trip
        const text = await (await fetch(`${srv.url}/metrics`)).text();
        assert.match(text, /berth_storage_operations_total\{driver="local",op="putContent",result="ok"\} [1-9]/);
        assert.match(text, /berth_storage_bytes_total\{driver="local",direction="written"\} [1-9]/);
        assert.match(text, /berth_storage_bytes_total\{driver="local",direction="read"\} [1-9]/);
      } finally {
        await srv.stop();
      }
    });
  });
});
