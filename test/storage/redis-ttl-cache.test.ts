/**
 * `cache_lru` against a real redis-server: docker-registry's key format, reads served from
 * Redis, every write and delete dropping what a reader (Berth or a Python registry sharing the
 * Redis) could have cached, and a Redis that goes away costs nothing but the cache.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { createMetrics } from '../../lib/metrics/registry.js';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import { RedisTtlCacheDriver } from '../../lib/storage/drivers/redis-ttl-cache.js';
import { createStorage } from '../../lib/storage/factory.js';
import { tempDir, testConfig } from '../support/config.js';
import { silentLogger, startTestServer, type TestServer } from '../support/server.js';
import { type RedisService, startRedis } from '../support/services.js';
import { describeDriverSuite } from './driver-suite.js';

const ID = 'c0'.repeat(32);
const cacheLru = (port: number) => `  cache_lru:\n    host: 127.0.0.1\n    port: ${port}\n`;

/** The cache createStorage puts in front of `storage` (behind the path checks). */
function cacheOf(storage: unknown): RedisTtlCacheDriver {
  assert.ok(storage instanceof CheckedDriver && storage.inner instanceof RedisTtlCacheDriver, 'cache_lru is in use');
  return storage.inner;
}

describeDriverSuite('the cache_lru Redis TTL cache over local storage', async () => {
  const redis = await startRedis();
  if (!redis) return null;
  const root = tempDir('berth-ttl-cache-suite-');
  const driver = createStorage(testConfig(cacheLru(redis.port), {}, root), { log: silentLogger(), metrics: createMetrics(false) });
  await cacheOf(driver).cache.ready;
  const raw = new Redis({ host: '127.0.0.1', port: redis.port });
  return {
    driver,
    // Temp files on disk, and keys in Redis: a delete drops what it could have left there.
    leftovers: async () => [...(await readdir(root, { recursive: true })).map(String), ...(await raw.keys('cache_path:*'))],
    cleanup: async () => {
      raw.disconnect();
      await redis.stop();
    },
  };
});

describe('cache_lru: the Redis TTL cache in front of storage', function () {
  this.timeout(60_000);
  let redis: RedisService | null;
  let srv: TestServer;
  let raw: Redis;
  let storagePath: string;

  before(async function () {
    redis = await startRedis();
    if (!redis) return this.skip();
    storagePath = tempDir('berth-ttl-cache-');
    srv = await startTestServer(testConfig(`  nginx_x_accel_redirect: /registry/\n${cacheLru(redis.port)}`, {}, storagePath));
    await cacheOf(srv.deps.storage).cache.ready;
    raw = new Redis({ host: '127.0.0.1', port: redis.port });
    raw.on('error', () => {}); // this test stops the server under it
  });
  after(async () => {
    raw?.disconnect();
    await srv?.stop();
    await redis?.stop();
  });

  it('image objects are cached on read with the old key format, and dropped on write', async () => {
    assert.ok(cacheOf(srv.deps.storage) instanceof RedisTtlCacheDriver);
    // docker-registry's key: cache_path: + storage_path + path, no separator.
    const key = `cache_path:${storagePath}images/${ID}/json`;
    await raw.set(key, 'stale bytes a Python registry cached');
    const json = Buffer.from(`{"id": "${ID}"}`);
    assert.equal((await fetch(`${srv.url}/v1/images/${ID}/json`, { method: 'PUT', body: json })).status, 200);
    assert.equal(await raw.exists(key), 0, 'a write drops the key (storage is the truth; a read fills it)');
    const layer = Buffer.from('layer bytes');
    assert.equal((await fetch(`${srv.url}/v1/images/${ID}/layer`, { method: 'PUT', body: layer })).status, 200);
    const sum = `sha256:${createHash('sha256').update(json).update('\n').update(layer).digest('hex')}`;
    assert.equal((await fetch(`${srv.url}/v1/images/${ID}/checksum`, { method: 'PUT', headers: { 'X-Docker-Checksum-Payload': sum } })).status, 200);
    assert.deepEqual(Buffer.from(await (await fetch(`${srv.url}/v1/images/${ID}/json`)).arrayBuffer()), json);
    assert.deepEqual(await raw.getBuffer(key), json);
    const ttl = await raw.ttl(key);
    assert.ok(ttl > 0 && ttl <= 3600, `a fill expires (ttl ${ttl})`);
    assert.equal(await raw.exists(`cache_path:${storagePath}images/${ID}/layer`), 0, 'layers are never cached');
    // Served from Redis: a change made behind Berth's back on disk is not seen…
    writeFileSync(path.join(storagePath, 'images', ID, 'json'), `{"id": "${ID}", "changed": "on disk"}`);
    assert.deepEqual(Buffer.from(await (await fetch(`${srv.url}/v1/images/${ID}/json`)).arrayBuffer()), json);
    // …until the key goes: then storage answers and the cache is filled again.
    await raw.del(key);
    const fresh = await (await fetch(`${srv.url}/v1/images/${ID}/json`)).text();
    assert.match(fresh, /on disk/);
    assert.match((await raw.getBuffer(key))?.toString() ?? '', /on disk/);
  });

  it('a write or delete of any path drops the key a Python registry sharing the Redis may hold', async () => {
    const tag = `cache_path:${storagePath}repositories/library/shared/tag_latest`;
    const other = `cache_path:${storagePath}repositories/library/shared-other/tag_latest`;
    await raw.set(tag, '"stale"');
    await raw.set(other, '"untouched"');
    const res = await fetch(`${srv.url}/v1/repositories/shared/tags/latest`, { method: 'PUT', body: JSON.stringify(ID) });
    assert.equal(res.status, 200, await res.text());
    assert.equal(await raw.exists(tag), 0, 'the written tag is dropped');
    // Deleting a file never SCANs Redis (a sweep reads the whole keyspace); /_status writes
    // and deletes a probe file.
    const scans = async () => Number(/cmdstat_scan:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
    await raw.config('RESETSTAT');
    assert.equal((await fetch(`${srv.url}/_status`)).status, 200);
    assert.equal(await scans(), 0, 'no SCAN for a file delete');
    // A whole repository delete drops every key under it, and only those.
    await raw.set(tag, '"stale"');
    await raw.set(`cache_path:${storagePath}repositories/library/shared/_index_images`, '[]');
    assert.equal((await fetch(`${srv.url}/v1/repositories/shared/`, { method: 'DELETE' })).status, 200);
    assert.equal(await raw.exists(tag), 0);
    assert.equal(await raw.exists(`cache_path:${storagePath}repositories/library/shared/_index_images`), 0);
    assert.equal(await raw.get(other), '"untouched"', 'a sibling with the same prefix keeps its key');
    assert.ok((await scans()) > 0, 'the directory delete swept');
  });

  it('nginx_x_accel_redirect still hands layers to nginx behind the cache', async () => {
    const res = await fetch(`${srv.url}/v1/images/${ID}/layer`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-accel-redirect'), `/registry/images/${ID}/layer`);
    assert.equal(await res.text(), '');
  });

  it('with Redis gone, requests are served from storage, promptly', async () => {
    await redis?.stop();
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${srv.url}/v1/images/${ID}/json`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /on disk/);
    }
    assert.ok(Date.now() - started < 10_000, 'a missing Redis must not hold requests up');
    const other = 'd0'.repeat(32);
    assert.equal((await fetch(`${srv.url}/v1/images/${other}/json`, { method: 'PUT', body: `{"id": "${other}"}` })).status, 200);
  });
});
