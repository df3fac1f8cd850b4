/**
 * `/v1/images/<id>/diff` with the `cache` Redis (docker/docker-registry `docker_registry/images.py`,
 * `lib/layers.py`, `scripts/diff-worker.py`): a miss queues the id
 * on the `diff-worker` list as docker-registry did, `scripts/diff-worker` computes it, and the
 * next GET answers it. Real redis-server; the worker runs as operators run it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pack } from 'tar-stream';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, testConfig, writeConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { freePort, type RedisService, startRedis } from '../support/services.js';

const A = 'da'.repeat(32);
const B = 'db'.repeat(32);

async function tar(files: Record<string, string>): Promise<Buffer> {
  const t = pack();
  for (const [name, content] of Object.entries(files)) t.entry({ name, mtime: new Date(1_400_000_000_000) }, content);
  t.finalize();
  const chunks: Buffer[] = [];
  for await (const c of t) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function push(base: string, id: string, layer: Buffer, parent?: string) {
  const json = Buffer.from(JSON.stringify({ id, ...(parent ? { parent } : {}) }));
  assert.equal((await fetch(`${base}/v1/images/${id}/json`, { method: 'PUT', body: json })).status, 200);
  assert.equal((await fetch(`${base}/v1/images/${id}/layer`, { method: 'PUT', body: layer })).status, 200);
  const sum = `sha256:${createHash('sha256').update(json).update('\n').update(layer).digest('hex')}`;
  assert.equal((await fetch(`${base}/v1/images/${id}/checksum`, { method: 'PUT', headers: { 'X-Docker-Checksum-Payload': sum } })).status, 200);
}

const WORKER = path.join(INSTALL_DIR, 'scripts/diff-worker');

interface WorkerRun {
  code: number | null;
  /** from spawn to exit */
  ms: number;
  /** from the SIGTERM to exit (null: not signalled, it had exited by then) */
  afterSignalMs: number | null;
  out: string;
}

/**
 * Run the worker; resolves with its exit code and output. With `signalAfterMs`, `beforeSignal`
 * runs and then SIGTERM is sent at that time. SIGKILL after 30 s (code null).
 */
function runWorker(config: string, args: string[], signalAfterMs?: number, beforeSignal?: () => void): Promise<WorkerRun> {
  const started = Date.now();
  const child = spawn(process.execPath, [WORKER, ...args], {
    env: { ...process.env, DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'ops' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let signalledAt: number | null = null;
  const hardStop = setTimeout(() => child.kill('SIGKILL'), 30_000);
  if (signalAfterMs !== undefined)
    setTimeout(() => {
      beforeSignal?.();
      if (child.exitCode === null && child.kill('SIGTERM')) signalledAt = Date.now();
    }, signalAfterMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(hardStop);
      const now = Date.now();
      resolve({ code, ms: now - started, afterSignalMs: signalledAt === null ? null : now - signalledAt, out });
    }),
  );
}

describe('diff worker without its Redis', function () {
  this.timeout(60_000);
  let configFile: string;
  before(async () => {
    const port = await freePort(); // nothing listens there
    configFile = writeConfig(
      `ops:\n  storage: local\n  storage_path: ${tempDir('berth-diff-')}\n  loglevel: error\n  cache:\n    host: 127.0.0.1\n    port: ${port}\n`,
    );
  });

  it('--once fails (exit 1) after a bounded wait instead of hanging', async () => {
    const run = await runWorker(configFile, ['--once']);
    assert.equal(run.code, 1, run.out);
    assert.match(run.out, /did not answer/);
    assert.ok(run.ms < 25_000, `took ${run.ms} ms`);
  });

  it('a long-running worker stops at once on SIGTERM while it waits for Redis', async () => {
    const run = await runWorker(configFile, [], 3000);
    assert.equal(run.code, 0, run.out);
    assert.notEqual(run.afterSignalMs, null, 'still running when signalled');
    assert.ok((run.afterSignalMs ?? 0) < 3000, `${run.afterSignalMs} ms after SIGTERM`);
  });
});

describe('V1 /diff through the diff queue', function () {
  this.timeout(60_000);
  let redis: RedisService | null;
  let srv: TestServer;
  let configFile: string;
  let storagePath: string;

  before(async function () {
    redis = await startRedis();
    if (!redis) return this.skip();
    storagePath = tempDir('berth-diff-');
    const storage = storagePath;
    const lines = `  cache:\n    host: 127.0.0.1\n    port: ${redis.port}\n`;
    srv = await startTestServer(testConfig(lines, {}, storage));
    await srv.deps.cache?.ready;
    configFile = writeConfig(`ops:\n  storage: local\n  storage_path: ${storage}\n  loglevel: error\n${lines}`);
  });
  after(async () => {
    await srv?.stop();
    await redis?.stop();
  });

  it('a miss queues the id and answers empty; the worker stores the diff; the next GET has it', async () => {
    await push(srv.url, A, await tar({ './x': 'one', './y': 'two' }));
    await push(srv.url, B, await tar({ './x': 'one, changed', './.wh.y': '', './z': 'new' }), A);
    const raw = new Redis({ host: '127.0.0.1', port: redis?.port ?? 0 });
    try {
      await raw.del('diff-worker');
      // Entries the worker must drop without touching storage (pushed first: taken first).
      await raw.lpush('diff-worker', '"../../../etc"', 'not json');
      const first = await fetch(`${srv.url}/v1/images/${B}/diff`);
      assert.equal(first.status, 200);
      assert.equal(await first.text(), '');
      assert.deepEqual(await raw.lrange('diff-worker', 0, 0), [JSON.stringify(B)], "docker-registry's queue format");
    } finally {
      raw.disconnect();
    }
    const worker = spawnSync(process.execPath, [path.join(INSTALL_DIR, 'scripts/diff-worker'), '--once'], {
      env: { ...process.env, DOCKER_REGISTRY_CONFIG: configFile, SETTINGS_FLAVOR: 'ops' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(worker.status, 0, worker.stderr + worker.stdout);
    const check = new Redis({ host: '127.0.0.1', port: redis?.port ?? 0 });
    try {
      assert.equal(await check.llen('diff-worker'), 0, 'every entry taken, the bad ones dropped');
    } finally {
      check.disconnect();
    }
    const diff = (await (await fetch(`${srv.url}/v1/images/${B}/diff`)).json()) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(diff.changed ?? {}), ['/x']);
    assert.deepEqual(Object.keys(diff.deleted ?? {}), ['/y']);
    assert.deepEqual(Object.keys(diff.created ?? {}), ['/z']);
    assert.equal((await fetch(`${srv.url}/v1/images/${'dc'.repeat(32)}/diff`)).status, 404, 'no such image');
  });

  it('a worker blocked on a frozen Redis (SIGSTOP) still stops on SIGTERM', async () => {
    const pid = redis?.pid ?? 0;
    try {
      // Frozen just before the signal: the worker's BRPOP is on the wire and gets no answer.
      const run = await runWorker(configFile, [], 3000, () => process.kill(pid, 'SIGSTOP'));
      assert.equal(run.code, 0, run.out);
      assert.notEqual(run.afterSignalMs, null, 'still running when signalled');
      assert.ok((run.afterSignalMs ?? 0) < 8000, `${run.afterSignalMs} ms after SIGTERM`);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('ids queued after a Redis restart under a running worker are all worked on', async () => {
    // While Redis is away the worker keeps asking; none of those BRPOPs may be replayed on
    // reconnect, pop an id, and drop it.
    for (const id of [A, B]) rmSync(path.join(storagePath, 'images', id, '_diff'), { force: true });
    const run = runWorker(configFile, [], 12_000);
    await new Promise((r) => setTimeout(r, 1500)); // the worker is waiting on the queue
    await redis?.stop();
    await new Promise((r) => setTimeout(r, 4000)); // …and retries against nothing
    await redis?.restart();
    const raw = new Redis({ host: '127.0.0.1', port: redis?.port ?? 0 });
    try {
      for (const id of [A, B]) await raw.lpush('diff-worker', JSON.stringify(id));
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !(existsSync(path.join(storagePath, 'images', A, '_diff')) && existsSync(path.join(storagePath, 'images', B, '_diff'))))
        await new Promise((r) => setTimeout(r, 100));
      assert.equal(await raw.llen('diff-worker'), 0);
    } finally {
      raw.disconnect();
    }
    const done = await run;
    assert.equal(done.code, 0, done.out);
    for (const id of [A, B]) assert.ok(existsSync(path.join(storagePath, 'images', id, '_diff')), `${id}: popped but never worked on`);
  });
});
