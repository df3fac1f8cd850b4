/**
 * `/v1/images/<id>/diff` with the `cache` Redis (spec v1 §1.5.10, §7.5): a miss queues the id
 * on the `diff-worker` list as docker-registry did, `scripts/diff-worker` computes it, and the
 * next GET answers it. Real redis-server; the worker runs as operators run it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pack } from 'tar-stream';
import { diffLayers } from '../../lib/services/v1/layer-diff.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, testConfig, writeConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type RedisService, startRedis } from '../support/services.js';

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

describe('diff classification (spec v1 §3.2)', () => {
  it('deleted, changed against the nearest ancestor that has the path, created otherwise', () => {
    const e = (p: string, deleted = false): [string, string, boolean, number, number, number, number, number] => [p, 'f', deleted, 1, 0, 420, 0, 0];
    const diff = diffLayers([e('/x'), e('/y', true), e('/z'), e('/w')], [[e('/w', true)], [e('/x'), e('/w')]]);
    assert.deepEqual(Object.keys(diff.changed), ['/x']);
    assert.deepEqual(Object.keys(diff.deleted), ['/y']);
    assert.deepEqual(Object.keys(diff.created).sort(), ['/w', '/z'], 'deleted in the nearest ancestor: created again');
  });
});

describe('V1 /diff through the diff queue', function () {
  this.timeout(60_000);
  let redis: RedisService | null;
  let srv: TestServer;
  let configFile: string;

  before(async function () {
    redis = await startRedis();
    if (!redis) return this.skip();
    const storage = tempDir('berth-diff-');
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
      const first = await fetch(`${srv.url}/v1/images/${B}/diff`);
      assert.equal(first.status, 200);
      assert.equal(await first.text(), '');
      assert.deepEqual(await raw.lrange('diff-worker', 0, -1), [JSON.stringify(B)], "docker-registry's queue format");
    } finally {
      raw.disconnect();
    }
    const worker = spawnSync(process.execPath, [path.join(INSTALL_DIR, 'scripts/diff-worker'), '--once'], {
      env: { ...process.env, DOCKER_REGISTRY_CONFIG: configFile, SETTINGS_FLAVOR: 'ops' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(worker.status, 0, worker.stderr + worker.stdout);
    const diff = (await (await fetch(`${srv.url}/v1/images/${B}/diff`)).json()) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(diff.changed ?? {}), ['/x']);
    assert.deepEqual(Object.keys(diff.deleted ?? {}), ['/y']);
    assert.deepEqual(Object.keys(diff.created ?? {}), ['/z']);
    assert.equal((await fetch(`${srv.url}/v1/images/${'dc'.repeat(32)}/diff`)).status, 404, 'no such image');
  });
});
