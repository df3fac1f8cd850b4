/**
 * Several instances on one store (README "Several instances on one store"): two `node dist`
 * processes, each with its own lock directory and temp directory as separate hosts have, on
 * one Ceph RGW bucket and one redis-server, behind a real nginx running the shipped
 * round-robin example (contrib/nginx/berth-instances.conf). Requests of one push land on both
 * instances; pushes of one image race through both; a tag moved on one is read at once on the
 * other; and an instance SIGKILLed in the middle of a chunk leaves its upload to the other once
 * its lock has expired (shared_lock_ttl), while the other goes on serving.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { LOCK_PREFIX } from '../../lib/services/redis-locks.js';
import { tempDir, writeConfig } from '../support/config.js';
import { blobOf, type Call, chunkedUpload, client, expectStatus, pullV1Image, pushManifest, pushV1Image } from '../support/instances-client.js';
import { startInstancesNginx } from '../support/nginx-example.js';
import { type BerthProcess, spawnBerth } from '../support/process.js';
import { type NginxService, type RedisService, s3ConfigLines, sharedRgw, startRedis } from '../support/services.js';
import { payload } from '../support/v1-client.js';
import { v1Json } from '../support/v1-engine.js';
import { OCI_MANIFEST, sha256 } from '../support/v2-client.js';

/** BERTH_LONG_TESTS=1 also kills an instance in the middle of a V1 push (its lease ends 20 s later). */
const LONG = process.env.BERTH_LONG_TESTS === '1';
/** Short, so the takeover after a SIGKILL is seen in seconds; renewed every second. */
const LOCK_TTL_S = 3;
const MiB = 1024 * 1024;

describe('several instances on one store: two `node dist` on one RGW bucket and one Redis, behind nginx round-robin', function () {
  this.timeout(180_000);
  let redis: RedisService | null = null;
  let raw: Redis | undefined;
  let nginx: NginxService | null = null;
  const instances: Array<{ proc: BerthProcess; url: string }> = [];
  const configs: string[] = [];
  let front: Call;
  let a: Call;
  let b: Call;

  before(async function () {
    const rgw = await sharedRgw();
    redis = await startRedis();
    if (!rgw || !redis) return this.skip();
    raw = new Redis({ host: '127.0.0.1', port: redis.port });
    const store = await s3ConfigLines(rgw, 'berth-scale');
    const secret = randomBytes(32).toString('hex');
    for (let i = 0; i < 2; i++) {
      // What separate hosts have of their own: the lock directory and the temp directory.
      const config = writeConfig(
        `t:\n  standalone: true\n  loglevel: warn\n${store}  lock_dir: ${tempDir('berth-scale-locks-')}\n  secret_key: ${secret}\n` +
          `  shared_lock_ttl: ${LOCK_TTL_S}\n  cache:\n    host: 127.0.0.1\n    port: ${redis.port}\n` +
          // Each host its own search index (SQLite), as the old registry had.
          `  search_backend: sqlalchemy\n  sqlalchemy_index_database: sqlite:///${tempDir('berth-scale-search-')}/index.db\n`,
      );
      configs.push(config);
      instances.push(await startInstance(config));
    }
    const [first, second] = instances.map((i) => i.url) as [string, string];
    nginx = await startInstancesNginx([first, second]);
    if (!nginx) return this.skip();
    front = client(`http://127.0.0.1:${nginx.port}`);
    a = client(first);
    b = client(second);
  });

  after(async () => {
    raw?.disconnect();
    await nginx?.stop();
    for (const { proc } of instances) {
      proc.kill('SIGKILL');
      await proc.exited;
    }
    await redis?.stop();
  });

  it('a V2 chunked upload whose PATCH and PUT land on different instances completes, and both serve the image byte for byte', async () => {
    const chunks = [randomBytes(MiB), randomBytes(MiB), randomBytes(MiB / 2)];
    const { digest, replies } = await chunkedUpload(front, 'scale/chunked', chunks);
    const hosts = replies.map((r) => r.upstream);
    assert.equal(new Set(hosts).size, 2, `both instances took part: ${hosts.join(' ')}`);
    for (let i = 1; i < hosts.length; i++) assert.notEqual(hosts[i], hosts[i - 1], `consecutive requests alternate: ${hosts.join(' ')}`);
    const manifest = await pushManifest(front, 'scale/chunked', 'v1', [{ digest, size: 2.5 * MiB }], 'chunked');

    const whole = Buffer.concat(chunks);
    for (const call of [a, b]) {
      const blob = expectStatus(await call('GET', `/v2/scale/chunked/blobs/${digest}`), 200, 'blob');
      assert.ok(blob.body.equals(whole), `the blob from ${blob.upstream} is the bytes pushed`);
      const got = expectStatus(await call('GET', '/v2/scale/chunked/manifests/v1', { headers: { Accept: OCI_MANIFEST } }), 200, 'manifest');
      assert.equal(sha256(got.body), manifest);
    }
  });

  it('a V1 push whose requests alternate between instances completes, and pulls through both are byte-identical', async () => {
    const base = `${'5c'.repeat(31)}01`;
    const top = `${'5c'.repeat(31)}02`;
    const images = [
      { id: base, json: v1Json(base, null), layer: randomBytes(300_000) },
      { id: top, json: v1Json(top, base), layer: randomBytes(200_000) },
    ];
    const served: string[] = [];
    const recording: Call = async (...args) => {
      const reply = await front(...args);
      served.push(reply.upstream);
      return reply;
    };
    expectStatus(
      await recording('PUT', '/v1/repositories/scale/v1app/', {
        body: JSON.stringify([{ id: base }, { id: top, Tag: 'latest' }]),
        headers: { 'Content-Type': 'application/json', 'X-Docker-Token': 'true' },
      }),
      200,
      'index PUT',
    );
    for (const image of images) assert.equal(await pushV1Image(recording, image.id, image.json, image.layer), true);
    expectStatus(
      await recording('PUT', '/v1/repositories/scale/v1app/tags/latest', { body: `"${top}"`, headers: { 'Content-Type': 'application/json' } }),
      200,
      'tag',
    );
    expectStatus(await recording('PUT', '/v1/repositories/scale/v1app/images', { body: '[]', headers: { 'X-Docker-Token': 'true' } }), 204, 'images PUT');
    assert.equal(new Set(served).size, 2, `both instances took part: ${served.join(' ')}`);

    for (const image of images) {
      const [fromA, fromB] = [await pullV1Image(a, image.id), await pullV1Image(b, image.id)];
      assert.deepEqual(fromA, fromB);
      assert.equal(fromA.layer, sha256(image.layer));
      assert.equal(fromA.checksum, payload(image.json, image.layer));
    }
    for (const call of [a, b]) {
      const tags = expectStatus(await call('GET', '/v1/repositories/scale/v1app/tags'), 200, 'tags');
      assert.deepEqual(JSON.parse(tags.body.toString()), { latest: top });
    }
  });

  it('pushes of the same image through both instances at once: one stores it, the other is told it exists, and both serve the same bytes', async () => {
    const id = `${'7e'.repeat(31)}03`;
    const json = v1Json(id, null);
    const layer = randomBytes(2 * MiB);
    const pushed = await Promise.all([pushV1Image(a, id, json, layer), pushV1Image(b, id, json, layer)]);
    assert.equal(pushed.filter(Boolean).length, 1, `exactly one push stored the image: ${pushed.join(', ')}`);
    assert.deepEqual(await pullV1Image(a, id), await pullV1Image(b, id));
    assert.equal((await pullV1Image(b, id)).checksum, payload(json, layer));

    // V2: the same blob uploaded in chunks through both, and the same tag pushed through both.
    const chunks = [randomBytes(MiB), randomBytes(MiB)];
    const [viaA, viaB] = await Promise.all([chunkedUpload(a, 'scale/race', chunks), chunkedUpload(b, 'scale/race', chunks)]);
    assert.equal(viaA.digest, viaB.digest);
    const layers = [{ digest: viaA.digest, size: 2 * MiB }];
    const [m1, m2] = await Promise.all([pushManifest(a, 'scale/race', 'same', layers, 'race'), pushManifest(b, 'scale/race', 'same', layers, 'race')]);
    assert.equal(m1, m2);
    for (const call of [a, b]) {
      const blob = expectStatus(await call('GET', `/v2/scale/race/blobs/${viaA.digest}`), 200, 'blob');
      assert.ok(blob.body.equals(Buffer.concat(chunks)));
    }
  });

  it('a tag moved on one instance is served by the other at once (tags are not cached in memory)', async () => {
    const layer = { digest: await blobOf(a, 'scale/moving', randomBytes(1000)), size: 1000 };
    for (const label of ['first', 'second', 'third']) {
      const pushed = await pushManifest(a, 'scale/moving', 'latest', [layer], label);
      const got = expectStatus(await b('GET', '/v2/scale/moving/manifests/latest', { headers: { Accept: OCI_MANIFEST } }), 200, 'manifest on B');
      assert.equal(got.headers.get('docker-content-digest'), pushed, `B serves the ${label} push at once`);
      const head = expectStatus(await b('HEAD', '/v2/scale/moving/manifests/latest', { headers: { Accept: OCI_MANIFEST } }), 200, 'HEAD on B');
      assert.equal(head.headers.get('docker-content-digest'), pushed);
    }
    const tags = expectStatus(await b('GET', '/v2/scale/moving/tags/list'), 200, 'tag list on B');
    assert.deepEqual(JSON.parse(tags.body.toString()).tags, ['latest']);

    // V1: a tag re-pointed on B is read at once on A.
    for (const target of [`${'5c'.repeat(31)}01`, `${'5c'.repeat(31)}02`, `${'5c'.repeat(31)}01`]) {
      expectStatus(
        await b('PUT', '/v1/repositories/scale/v1app/tags/moving', { body: `"${target}"`, headers: { 'Content-Type': 'application/json' } }),
        200,
        'tag',
      );
      const got = expectStatus(await a('GET', '/v1/repositories/scale/v1app/tags/moving'), 200, 'tag on A');
      assert.equal(JSON.parse(got.body.toString()), target);
    }
  });

  it('a repository pushed or deleted on one instance is found, or no longer found, by a search on the other', async () => {
    const found = async (call: Call) => {
      const res = expectStatus(await call('GET', '/v1/search?q=searched'), 200, 'search');
      return (JSON.parse(res.body.toString()) as { results: Array<{ name: string }> }).results.map((r) => r.name);
    };
    const until = async (call: Call, want: string[]) => {
      for (let i = 0; i < 60 && JSON.stringify(await found(call)) !== JSON.stringify(want); i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await found(call), want);
    };
    const id = `${'5e'.repeat(31)}04`;
    await pushV1Image(a, id, v1Json(id, null), randomBytes(1000));
    expectStatus(
      await a('PUT', '/v1/repositories/scale/searched/tags/latest', { body: `"${id}"`, headers: { 'Content-Type': 'application/json' } }),
      200,
      'tag on A',
    );
    await until(b, ['scale/searched']);
    expectStatus(await a('DELETE', '/v1/repositories/scale/searched/'), 200, 'delete on A');
    await until(b, []);
  });

  it('an instance SIGKILLed in the middle of a chunk: the other takes the upload over once its lock expires, and serves everything else meanwhile', async () => {
    const [victim, survivor] = instances as [{ proc: BerthProcess; url: string }, { proc: BerthProcess; url: string }];
    const first = randomBytes(MiB);
    const second = randomBytes(MiB);
    const start = expectStatus(await a('POST', '/v2/scale/killed/blobs/uploads/'), 202, 'POST');
    const location = start.headers.get('location') as string;
    const uuid = (start.headers.get('docker-upload-uuid') as string) || (location.split('/').pop()?.split('?')[0] as string);
    expectStatus(
      await a('PATCH', location, { body: first, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${MiB - 1}` } }),
      202,
      'first chunk',
    );

    // The second chunk starts on the victim and stops half way: it holds the upload's lock.
    const hanging = http.request(new URL(location, victim.url), { method: 'PATCH', headers: { 'Content-Type': 'application/octet-stream' } });
    hanging.on('error', () => {}); // the victim is killed under it
    hanging.write(second.subarray(0, MiB / 4));
    const lock = `${LOCK_PREFIX}v2-upload:${uuid}`;
    for (let i = 0; i < 100 && !(await raw?.exists(lock)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await raw?.exists(lock), 1, 'the victim holds the upload lock in Redis');
    victim.proc.kill('SIGKILL');
    await victim.proc.exited;
    const killedAt = Date.now();

    // The survivor: the upload stands where the first chunk left it, and its next chunk waits for the lock.
    const status = expectStatus(await b('GET', location), 204, 'upload status on the survivor');
    assert.equal(status.headers.get('range'), `0-${MiB - 1}`);
    const resumed = b('PATCH', location, { body: second, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${MiB}-${2 * MiB - 1}` } });
    // ...while everything else goes on at once: a pull, a push of another image.
    const during = Date.now();
    expectStatus(await b('GET', '/v2/scale/chunked/manifests/v1', { headers: { Accept: OCI_MANIFEST } }), 200, 'pull during the wait');
    await blobOf(b, 'scale/other', randomBytes(5000));
    assert.ok(Date.now() - during < LOCK_TTL_S * 1000, 'other requests do not wait for the dead instance’s lock');
    expectStatus(await resumed, 202, 'the resumed chunk');
    const waited = Date.now() - killedAt;
    assert.ok(waited >= 1000, `the lock was taken over only after it expired (${waited} ms after the kill; lifetime ${LOCK_TTL_S} s, renewed every second)`);
    assert.ok(waited < (LOCK_TTL_S + 10) * 1000, `taken over ${waited} ms after the kill`);

    const digest = sha256(Buffer.concat([first, second]));
    expectStatus(await b('PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`), 201, 'PUT on the survivor');
    // nginx passes a GET that finds the dead instance on to the live one.
    for (let i = 0; i < 2; i++) {
      const blob = expectStatus(await front('GET', `/v2/scale/killed/blobs/${digest}`), 200, 'blob through nginx');
      assert.equal(sha256(blob.body), digest);
      assert.equal(blob.upstream.split(', ').at(-1), new URL(survivor.url).host);
    }
  });

  (LONG ? it : it.skip)(
    '[long] an instance SIGKILLed in the middle of a V1 layer: the image is pushed through the other once the push lease expires',
    async () => {
      const victim = await startInstance(configs[0] as string);
      instances.push(victim);
      const c = client(victim.url);
      const id = `${'9a'.repeat(31)}05`;
      const json = v1Json(id, null);
      const layer = randomBytes(MiB);
      expectStatus(await c('PUT', `/v1/images/${id}/json`, { body: json, headers: { 'Content-Type': 'application/json' } }), 200, 'json on the victim');
      const hanging = http.request(new URL(`/v1/images/${id}/layer`, victim.url), { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' } });
      hanging.on('error', () => {});
      hanging.write(layer.subarray(0, MiB / 4));
      for (let i = 0; i < 100 && !(await raw?.exists(`${LOCK_PREFIX}${id}`)); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await raw?.exists(`${LOCK_PREFIX}${id}`), 1, 'the victim holds the image lock');
      victim.proc.kill('SIGKILL');
      await victim.proc.exited;
      const killedAt = Date.now();
      assert.equal(await pushV1Image(b, id, json, layer), true, 'the survivor pushes the image once the dead push is over');
      assert.ok(Date.now() - killedAt >= 5000, 'the dead push held the image until its lease expired');
      assert.equal((await pullV1Image(b, id)).checksum, payload(json, layer));
    },
  );
});

async function startInstance(config: string): Promise<{ proc: BerthProcess; url: string }> {
  const proc = spawnBerth({ DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 't', TMPDIR: tempDir('berth-scale-tmp-') });
  return { proc, url: await proc.ready() };
}
