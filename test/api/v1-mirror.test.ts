/**
 * Mirror mode (docker/docker-registry `docker_registry/lib/mirroring.py`) against a real upstream
 * V1 registry (a second Berth on loopback):
 * image JSON, ancestry and layers are fetched on a miss and kept; tags and repository image
 * lists pass through; search merges; a layer download cut short keeps nothing.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import { exists } from '../../lib/storage/driver.js';
import { v1 } from '../../lib/storage/paths.js';
import { tempDir, testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type RedisService, startRedis } from '../support/services.js';

const A = 'a1'.repeat(32);
const B = 'b2'.repeat(32);
const searchLines = () => `  search_backend: sqlalchemy\n  sqlalchemy_index_database: sqlite:///${path.join(tempDir(), 'search.db')}\n`;

async function push(base: string, id: string, layer: Buffer, parent?: string) {
  const json = Buffer.from(JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2014-06-01T00:00:00Z' }));
  assert.equal((await fetch(`${base}/v1/images/${id}/json`, { method: 'PUT', body: json })).status, 200);
  assert.equal((await fetch(`${base}/v1/images/${id}/layer`, { method: 'PUT', body: layer })).status, 200);
  const sum = `sha256:${createHash('sha256').update(json).update('\n').update(layer).digest('hex')}`;
  assert.equal((await fetch(`${base}/v1/images/${id}/checksum`, { method: 'PUT', headers: { 'X-Docker-Checksum-Payload': sum } })).status, 200);
}

describe('V1 mirror mode (pull-through cache of another V1 registry)', function () {
  this.timeout(60_000);
  let upstream: TestServer;
  let mirror: TestServer;
  const layerA = randomBytes(3 * 1024 * 1024);
  const layerB = Buffer.from('layer of b');

  before(async () => {
    upstream = await startTestServer(testConfig(searchLines()));
    await push(upstream.url, A, layerA);
    await push(upstream.url, B, layerB, A);
    assert.equal((await fetch(`${upstream.url}/v1/repositories/ns/repo/`, { method: 'PUT', body: JSON.stringify([{ id: A }, { id: B }]) })).status, 200);
    assert.equal((await fetch(`${upstream.url}/v1/repositories/ns/repo/tags/latest`, { method: 'PUT', body: `"${B}"` })).status, 200);
    mirror = await startTestServer(testConfig(`  mirroring:\n    source: ${upstream.url}\n${searchLines()}`));
  });
  after(async () => {
    await mirror?.stop();
    await upstream?.stop();
  });

  const get = (p: string, headers: Record<string, string> = {}) => fetch(mirror.url + p, { headers });
  const kept = (p: string) => exists(mirror.deps.storage, p);

  it('says so on _ping', async () => {
    assert.equal((await get('/v1/_ping')).headers.get('x-docker-registry-standalone'), 'mirror');
  });

  it('passes tags and the repository image list through, without keeping them; the endpoints are ours', async () => {
    assert.deepEqual(await (await get('/v1/repositories/ns/repo/tags')).json(), { latest: B });
    assert.equal(await (await get('/v1/repositories/ns/repo/tags/latest')).json(), B);
    assert.equal(await kept(v1.tag('ns', 'repo', 'latest')), false);
    const images = await get('/v1/repositories/ns/repo/images', { 'X-Docker-Token': 'true' });
    assert.equal(images.status, 200);
    assert.deepEqual(((await images.json()) as Array<{ id: string }>).map((i) => i.id).sort(), [A, B].sort());
    assert.equal(images.headers.get('x-docker-endpoints'), new URL(mirror.url).host);
  });

  it('search merges the source index with the local one', async () => {
    assert.equal((await fetch(`${mirror.url}/v1/repositories/local/only/`, { method: 'PUT', body: '[]' })).status, 200);
    const res = (await (await get('/v1/search?q=')).json()) as { num_results: number; results: Array<{ name: string }> };
    assert.deepEqual(res.results.map((r) => r.name).sort(), ['local/only', 'ns/repo']);
    assert.equal(res.num_results, 2);
  });

  it('asks the source only for paths built from valid names: dot segments never reach it', async () => {
    // Were the raw path used, the URL parser would resolve this to the source's /metrics (a 200).
    // Sent as is (fetch() would resolve the dot segments itself before sending).
    const { port } = new URL(mirror.url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/v1/repositories/x/%2e%2e/%2e%2e/%2e%2e/metrics/tags/%2e%2e?a=b' }, (r) => {
          let body = '';
          r.on('data', (c) => (body += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
        })
        .on('error', reject);
    });
    // Refused as a repository name before anything is looked up, locally or at the source.
    assert.equal(res.status, 400, res.body.slice(0, 200));
  });

  it('a ranged first download (a resume) gets the whole layer from the source, not a 404', async () => {
    const res = await get(`/v1/images/${B}/layer`, { Range: 'bytes=3-' });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(layerB));
  });

  it('never overwrites what is stored locally (local data always wins)', async () => {
    const { Mirror } = await import('../../lib/services/v1/mirror.js');
    const m = new Mirror(mirror.deps.config.mirroring, mirror.deps.storage, mirror.deps.log);
    await mirror.deps.storage.putContent(v1.imageAncestry(A), '["local"]');
    assert.equal(await m.smallImageFile({ path: `/v1/images/${A}/ancestry`, search: '', headers: {} }, A, 'ancestry'), null);
    assert.equal((await mirror.deps.storage.getContent(v1.imageAncestry(A))).toString(), '["local"]');
    await mirror.deps.storage.delete(v1.imageAncestry(A));
  });

  it('a layer download the client cuts short keeps nothing', async () => {
    await new Promise<void>((resolve) => {
      http.get(`${mirror.url}/v1/images/${A}/layer`, (res) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      });
    });
    for (let i = 0; i < 20 && (await kept(v1.imageLayer(A))); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await kept(v1.imageLayer(A)), false);
  });

  it('fetches ancestry, JSON and layers on a miss and keeps them; they are then served without the source', async () => {
    assert.deepEqual(await (await get(`/v1/images/${B}/ancestry`)).json(), [B, A]);
    for (const id of [A, B]) {
      const json = await get(`/v1/images/${id}/json`);
      assert.equal(json.status, 200);
      assert.equal(((await json.json()) as { id: string }).id, id);
    }
    const layer = Buffer.from(await (await get(`/v1/images/${A}/layer`)).arrayBuffer());
    assert.ok(layer.equals(layerA));
    for (const p of [v1.imageAncestry(B), v1.imageJson(A), v1.imageJson(B), v1.imageLayer(A)]) assert.ok(await kept(p), p);

    await upstream.stop();
    assert.ok(Buffer.from(await (await get(`/v1/images/${A}/layer`)).arrayBuffer()).equals(layerA));
    assert.deepEqual(await (await get(`/v1/images/${B}/ancestry`)).json(), [B, A]);
    assert.equal((await get('/v1/repositories/ns/repo/tags')).status, 404, 'tags were never kept');
    assert.equal((await get(`/v1/images/${'e0'.repeat(32)}/layer`)).status, 404, 'never fetched, and the source is gone');
  });
});

describe('V1 mirror mode with the `cache` Redis (tags kept for tags_cache_ttl), and /_status checking it', function () {
  this.timeout(60_000);
  let redis: RedisService | null;
  let upstream: TestServer;
  let mirror: TestServer;
  let storagePath: string;

  before(async function () {
    redis = await startRedis();
    if (!redis) return this.skip();
    upstream = await startTestServer(testConfig());
    await push(upstream.url, A, Buffer.from('a'));
    assert.equal((await fetch(`${upstream.url}/v1/repositories/ns/cached/tags/v1`, { method: 'PUT', body: `"${A}"` })).status, 200);
    storagePath = tempDir('berth-mirror-cache-');
    mirror = await startTestServer(
      testConfig(
        `  mirroring:\n    source: ${upstream.url}\n    tags_cache_ttl: 600\n  cache:\n    host: 127.0.0.1\n    port: ${redis.port}\n`,
        {},
        storagePath,
      ),
    );
    await mirror.deps.cache?.ready;
  });
  after(async () => {
    await mirror?.stop();
    await upstream?.stop();
    await redis?.stop();
  });

  it("tags from the source are kept under docker-registry's key, with the TTL, and served from there once the source is gone", async () => {
    assert.deepEqual(await (await fetch(`${mirror.url}/v1/repositories/ns/cached/tags`)).json(), { v1: A });
    const raw = new Redis({ host: '127.0.0.1', port: redis?.port ?? 0 });
    try {
      const key = `cache_path:${storagePath}:repositories/ns/cached`;
      assert.deepEqual(JSON.parse(String(await raw.get(key))), { v1: A });
      const ttl = await raw.ttl(key);
      assert.ok(ttl > 590 && ttl <= 600, String(ttl));
    } finally {
      raw.disconnect();
    }
    await upstream.stop();
    assert.deepEqual(await (await fetch(`${mirror.url}/v1/repositories/ns/cached/tags`)).json(), { v1: A });
  });

  it('/_status checks the cache Redis too, and fails when it is gone', async () => {
    const ok = await fetch(`${mirror.url}/_status`);
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { services: string[] }).services, ['redis', 'storage']);
    await redis?.stop();
    const down = await fetch(`${mirror.url}/_status`);
    assert.equal(down.status, 503);
    assert.ok(((await down.json()) as { failures: Record<string, string> }).failures.redis);
  });
});
