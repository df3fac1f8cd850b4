/**
 * Glance on a real glance-api (v2, sqlite, file store, no Keystone): the shared suite through
 * the driver (paths outside images/ reach the alternate), then Glance's own objects, and the
 * fallback to storage_alternate with Glance stopped in the middle of a push.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { restoreFromAlternate } from '../../lib/maintenance/glance-restore.js';
import { createMetrics } from '../../lib/metrics/registry.js';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import { exists, writeFromStream } from '../../lib/storage/driver.js';
import { type FallbackEvent, GlanceDriver } from '../../lib/storage/drivers/glance.js';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { createStorage } from '../../lib/storage/factory.js';
import { GlanceApi } from '../../lib/storage/openstack/glance-api.js';
import { loadYaml, tempDir } from '../support/config.js';
import { sharedGlance, startGlance } from '../support/services.js';
import { describeDriverSuite, failingSource, generated, readAll, rejectsKind } from './driver-suite.js';

const MiB = 1024 * 1024;
const imageId = () => randomBytes(32).toString('hex');

/** The Glance driver itself, on a local alternate checked as createStorage checks it. */
function glanceDriver(url: string, events: FallbackEvent[] = []) {
  const root = tempDir('berth-glance-alt-');
  const driver = new GlanceDriver(new GlanceApi(url, null), new CheckedDriver(new LocalDriver(root)), (e) => events.push(e));
  return { driver, root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

// A glance-api of its own: the suite checks that it leaves the whole store empty, and the
// shared one holds the V1 images other suites' pushes made there (the bridge's too).
describeDriverSuite('glance (paths outside images/ on the local alternate)', async () => {
  const glance = await startGlance();
  if (!glance) return null;
  const root = tempDir('berth-glance-alt-');
  const { config } = loadYaml(`g:\n  storage: glance\n  glance_url: ${glance.url}\n  storage_alternate: file\n  storage_path: ${root}\n`, 'g');
  return {
    driver: createStorage(config, { metrics: createMetrics(false) }),
    cleanup: async () => {
      await rm(root, { recursive: true, force: true });
      await glance.stop();
    },
    errorNames: ['glance', 'local'],
  };
});

describe('storage: glance image objects', function () {
  this.timeout(120_000);
  let d: GlanceDriver;
  let cleanup: () => Promise<void>;
  before(async function () {
    const glance = await sharedGlance();
    if (!glance) return this.skip();
    ({ driver: d, cleanup } = glanceDriver(glance.url));
  });
  after(() => cleanup?.());

  it('keeps image files as meta_ properties of one Glance image per V1 image, byte-exact', async () => {
    const id = imageId();
    const json = Buffer.from('{"id":"x","comment":"ünïcode ✓"}');
    await d.putContent(`images/${id}/json`, json);
    await d.putContent(`images/${id}/ancestry`, `["${id}"]`);
    await d.putContent(`images/${id}/_inprogress`, 'true');
    await d.putContent(`images/${id}/_checksum`, Buffer.alloc(0));
    await d.putContent(`images/${id}/_diff`, Buffer.from([0, 255, 1, 2])); // not UTF-8
    assert.deepEqual(await d.getContent(`images/${id}/json`), json);
    assert.deepEqual(await d.getContent(`images/${id}/_diff`), Buffer.from([0, 255, 1, 2]));
    assert.equal((await d.getContent(`images/${id}/_checksum`)).length, 0);
    assert.equal((await d.stat(`images/${id}/json`)).size, json.length);
    await d.putContent(`images/${id}/json`, '{"replaced":true}');
    assert.equal((await d.getContent(`images/${id}/json`)).toString(), '{"replaced":true}');
    assert.deepEqual(await d.list(`images/${id}`), [
      `images/${id}/_checksum`,
      `images/${id}/_diff`,
      `images/${id}/_inprogress`,
      `images/${id}/ancestry`,
      `images/${id}/json`,
    ]);
    await d.delete(`images/${id}/_inprogress`);
    assert.equal(await exists(d, `images/${id}/_inprogress`), false);
    assert.equal(await exists(d, `images/${id}/json`), true);
    await d.delete(`images/${id}`);
    await rejectsKind(d.list(`images/${id}`), 'not_found');
  });

  it('keeps _files on the alternate, as docker-registry 0.6.6+ did', async () => {
    const id = imageId();
    await d.putContent(`images/${id}/_files`, '[]');
    assert.equal((await d.alternate.getContent(`images/${id}/_files`)).toString(), '[]');
    assert.deepEqual(await d.list(`images/${id}`), [`images/${id}/_files`]);
    await d.delete(`images/${id}`);
  });

  it('streams a layer as the image data, with ranges at the edges', async () => {
    const id = imageId();
    const layer = randomBytes(3 * MiB + 11);
    await d.putContent(`images/${id}/json`, '{}');
    assert.equal(await writeFromStream(d, `images/${id}/layer`, Readable.from([layer.subarray(0, MiB), layer.subarray(MiB)])), layer.length);
    assert.equal((await d.stat(`images/${id}/layer`)).size, layer.length);
    assert.deepEqual(await readAll(await d.reader(`images/${id}/layer`)), layer);
    for (const [offset, length] of [
      [0, 1],
      [layer.length - 1, 1],
      [MiB - 3, 10],
      [layer.length - 5, 100],
    ] as const) {
      assert.deepEqual(await readAll(await d.reader(`images/${id}/layer`, { offset, length })), layer.subarray(offset, offset + length));
    }
    assert.equal((await readAll(await d.reader(`images/${id}/layer`, { offset: layer.length }))).length, 0);
    assert.equal((await d.getContent(`images/${id}/json`)).toString(), '{}', 'properties survive the layer commit');
    assert.deepEqual(await d.list(`images/${id}`), [`images/${id}/json`, `images/${id}/layer`]);
    await d.delete(`images/${id}/layer`);
    await rejectsKind(d.stat(`images/${id}/layer`), 'not_found');
    assert.equal((await d.getContent(`images/${id}/json`)).toString(), '{}', 'deleting the layer keeps the image metadata');
    await d.delete(`images/${id}`);
  });

  it('a layer write aborted halfway leaves the previous layer in place', async () => {
    const id = imageId();
    await d.putContent(`images/${id}/layer`, 'previous layer');
    await assert.rejects(writeFromStream(d, `images/${id}/layer`, failingSource([randomBytes(MiB)])), /client went away/);
    assert.equal((await d.getContent(`images/${id}/layer`)).toString(), 'previous layer');
    const w = await d.writer(`images/${id}/layer`);
    w.stream.write(Buffer.from('never committed'));
    await w.cancel();
    assert.equal((await d.getContent(`images/${id}/layer`)).toString(), 'previous layer');
    await d.delete(`images/${id}`);
  });

  it('two concurrent layer writers leave one complete layer', async () => {
    const id = imageId();
    const a = randomBytes(2 * MiB);
    const b = randomBytes(MiB + 7);
    await Promise.all([writeFromStream(d, `images/${id}/layer`, Readable.from([a])), writeFromStream(d, `images/${id}/layer`, Readable.from([b]))]);
    const got = await d.getContent(`images/${id}/layer`);
    assert.ok(got.equals(a) || got.equals(b));
    await d.delete(`images/${id}`);
  });

  it('deleting an image leaves an image whose id has the same prefix alone', async () => {
    const id = imageId();
    await d.putContent(`images/${id}/json`, 'one');
    await d.putContent(`images/${id}0/json`, 'sibling');
    await d.delete(`images/${id}`);
    assert.equal((await d.getContent(`images/${id}0/json`)).toString(), 'sibling');
    const listed = await d.list('images');
    assert.ok(listed.includes(`images/${id}0`) && !listed.includes(`images/${id}`));
    await d.delete(`images/${id}0`);
  });

  it('missing image objects are not_found', async () => {
    const id = imageId();
    await rejectsKind(d.getContent(`images/${id}/json`), 'not_found');
    await rejectsKind(d.reader(`images/${id}/layer`), 'not_found');
    await rejectsKind(d.delete(`images/${id}/json`), 'not_found');
    await d.putContent(`images/${id}/json`, '{}');
    await rejectsKind(d.stat(`images/${id}/layer`), 'not_found');
    await d.delete(`images/${id}`);
  });

  it('streams a 1 GiB layer in and out with flat memory', async () => {
    const id = imageId();
    const size = 1024 * MiB;
    const source = generated(size, id);
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    try {
      assert.equal(await writeFromStream(d, `images/${id}/layer`, source.stream), size);
      const back = createHash('sha256');
      for await (const c of await d.reader(`images/${id}/layer`)) back.update(c as Buffer);
      assert.equal(back.digest('hex'), source.digest());
    } finally {
      clearInterval(sampler);
      await d.delete(`images/${id}`).catch(() => {});
    }
    assert.ok(peak - before < 256 * MiB, `RSS grew by ${Math.round((peak - before) / MiB)} MiB`);
  });

  it('left no staging image behind (aborted, failed and concurrent layer writes included)', async () => {
    const glance = await sharedGlance();
    const images = await new GlanceApi(glance?.url ?? '', null).list({ container_format: 'docker' });
    assert.deepEqual(
      images.filter((i) => typeof i.docker_staging_id === 'string').map((i) => `${i.name} (${i.status})`),
      [],
    );
  });
});

describe('storage: glance stopped mid-run falls back to storage_alternate', function () {
  this.timeout(180_000);

  it('no push fails while Glance is down, and the restore moves it all back', async function () {
    const first = await startGlance();
    if (!first) return this.skip();
    const events: FallbackEvent[] = [];
    const { driver, root, cleanup } = glanceDriver(first.url, events);
    const before = imageId();
    const during = imageId();
    const layer = randomBytes(2 * MiB);
    try {
      await driver.putContent(`images/${before}/json`, '{"pushed":"before"}');
      assert.equal(events.length, 0);

      await first.stop(); // Glance goes away in the middle of the run

      await driver.putContent(`images/${during}/json`, '{"pushed":"during"}');
      await writeFromStream(driver, `images/${during}/layer`, Readable.from([layer]));
      await driver.putContent(`images/${during}/_checksum`, '["sha256:x"]');
      await driver.putContent('repositories/ns/repo/tag_latest', during);
      assert.deepEqual(
        events.map((e) => e.op),
        ['put', 'write', 'put'],
      );
      assert.equal((await driver.getContent(`images/${during}/json`)).toString(), '{"pushed":"during"}');
      assert.deepEqual(await readAll(await driver.reader(`images/${during}/layer`, { offset: 5, length: 100 })), layer.subarray(5, 105));
      assert.equal((await driver.stat(`images/${during}/layer`)).size, layer.length);
      await rejectsKind(driver.getContent(`images/${before}/json`), 'unavailable'); // only Glance has it: said, not hidden

      const second = await startGlance();
      if (!second) throw new Error('glance vanished');
      try {
        const healed = new GlanceDriver(new GlanceApi(second.url, null), new LocalDriver(root));
        const moved = await restoreFromAlternate(healed);
        assert.deepEqual(moved.sort(), [`images/${during}/_checksum`, `images/${during}/json`, `images/${during}/layer`]);
        await rejectsKind(healed.alternate.list('images'), 'not_found');
        assert.deepEqual(await healed.getContent(`images/${during}/layer`), layer);
        assert.equal((await healed.getContent(`images/${during}/json`)).toString(), '{"pushed":"during"}');
        assert.equal((await healed.getContent('repositories/ns/repo/tag_latest')).toString(), during);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      await cleanup();
    }
  });
});

describe('storage: glance failures', function () {
  this.timeout(120_000);

  it('a Glance URL that answers 404 for everything is a failure, so the alternate takes the write', async function () {
    const glance = await sharedGlance();
    if (!glance) return this.skip();
    const events: FallbackEvent[] = [];
    const { driver, cleanup } = glanceDriver(`${glance.url}/not-glance`, events);
    try {
      const id = imageId();
      await driver.putContent(`images/${id}/json`, '{}');
      assert.deepEqual(
        events.map((e) => e.op),
        ['put'],
      );
      assert.equal((await driver.alternate.getContent(`images/${id}/json`)).toString(), '{}');
      await driver.alternate.delete(`images/${id}`);
    } finally {
      await cleanup();
    }
  });

  it('an old versioned endpoint (…/v1) still reaches the v2 API', async function () {
    const glance = await sharedGlance();
    if (!glance) return this.skip();
    const events: FallbackEvent[] = [];
    const { driver, cleanup } = glanceDriver(`${glance.url}/v1`, events);
    try {
      const id = imageId();
      await driver.putContent(`images/${id}/json`, '{}');
      assert.deepEqual(events, []);
      await driver.delete(`images/${id}`);
    } finally {
      await cleanup();
    }
  });

  it('a layer upload that Glance cuts off fails the write instead of hanging', async () => {
    // A private Glance, stopped while a 1 GiB layer is still streaming into it.
    const glance = await startGlance();
    if (!glance) return;
    const { driver, cleanup } = glanceDriver(glance.url);
    try {
      const id = imageId();
      const w = await driver.writer(`images/${id}/layer`);
      // Observed from the start: a rejection nobody listens to yet is an unhandled rejection.
      const feeding = assert.rejects(pipelineFeed(w.stream, 1024));
      await new Promise((r) => setTimeout(r, 300));
      await glance.stop(); // Glance dies while the layer is streaming
      await feeding;
      await w.cancel();
    } finally {
      await glance.stop();
      await cleanup();
    }
  });
});

/** Write `mib` MiB into a writable, respecting back-pressure; rejects if the writable fails. */
async function pipelineFeed(stream: import('node:stream').Writable, mib: number): Promise<void> {
  const { pipeline } = await import('node:stream/promises');
  await pipeline(
    Readable.from(
      (function* () {
        for (let i = 0; i < mib; i++) yield randomBytes(MiB);
      })(),
    ),
    stream,
  );
}
