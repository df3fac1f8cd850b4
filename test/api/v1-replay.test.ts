/**
 * The V1 API as a Docker 1.x engine drives it (moby/moby v1.3.0 and v1.6.0 `registry/session.go`,
 * `registry/auth.go`, `graph/push.go`, `graph/pull.go`; replayed over real HTTP):
 * push of a two-image chain, pull, re-push, an interrupted push, a checksum mismatch,
 * resumed downloads, and the resulting storage tree — on local storage and on S3 (Ceph RGW);
 * and stores docker-registry 0.9 and 0.6 wrote, pulled through the API.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../lib/config/load.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir, testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { s3ConfigLines, sharedRgw } from '../support/services.js';
import { jsonOf, layerA, payload, pushImage, putChunked, type V1Call, v1Client } from '../support/v1-client.js';

const A = 'a'.repeat(63) + '1';
const B = 'b'.repeat(63) + '2';
const layerB = Buffer.concat([layerA, Buffer.from('more bytes for B')]);

function describeRegistry(label: string, makeConfig: () => Promise<Readonly<Config> | null>) {
  describe(`V1 push and pull on ${label}`, function () {
    this.timeout(60_000);
    let srv: TestServer;
    let call: V1Call;
    before(async function () {
      const config = await makeConfig();
      if (!config) return this.skip();
      srv = await startTestServer(config);
      call = v1Client(srv.url);
    });
    after(() => srv?.stop());

    it('docker push of a two-image chain, as Docker 1.3 sends it', async () => {
      const index = await call('PUT', '/v1/repositories/ns/repo/', {
        body: JSON.stringify([{ id: A }, { id: B, Tag: 'latest' }]),
        headers: { 'Content-Type': 'application/json', 'X-Docker-Token': 'true' },
      });
      assert.equal(index.status, 200);
      assert.match(index.headers.get('x-docker-token') ?? '', /^Token signature=[A-Z0-9]{16},repository="ns\/repo",access=write$/);
      assert.equal(index.headers.get('x-docker-endpoints'), new URL(srv.url).host);
      await pushImage(srv.url, A, jsonOf(A), layerA);
      await pushImage(srv.url, B, jsonOf(B, A), layerB);
      const tag = await call('PUT', '/v1/repositories/ns/repo/tags/latest', { body: `"${B}"`, headers: { 'Content-Type': 'application/json' } });
      assert.equal(tag.status, 200);
      const images = await call('PUT', '/v1/repositories/ns/repo/images', { body: '[]', headers: { 'X-Docker-Endpoints': new URL(srv.url).host } });
      assert.equal(images.status, 204);
      assert.equal(images.body.length, 0);
    });

    it('leaves the storage tree docker-registry left', async () => {
      const s = srv.deps.storage;
      for (const id of [A, B])
        assert.deepEqual(
          await s.list(`images/${id}`),
          ['_checksum', 'ancestry', 'json', 'layer'].map((f) => `images/${id}/${f}`),
        );
      assert.deepEqual(
        await s.list('repositories/ns/repo'),
        ['_index_images', 'json', 'tag_latest', 'taglatest_json'].map((f) => `repositories/ns/repo/${f}`),
      );
      assert.equal((await s.getContent('repositories/ns/repo/tag_latest')).toString(), B);
      assert.equal((await s.getContent(`images/${B}/ancestry`)).toString(), `["${B}", "${A}"]`);
      assert.equal((await s.getContent(`images/${A}/_checksum`)).toString(), `["${payload(jsonOf(A), layerA)}"]`);
      const meta = JSON.parse((await s.getContent('repositories/ns/repo/taglatest_json')).toString()) as Record<string, unknown>;
      assert.deepEqual([meta.docker_version, meta.docker_go_version, meta.kernel, meta.os, meta.arch], ['1.3.0', 'go1.3.3', '3.13.0', 'linux', 'amd64']);
      assert.equal(typeof meta.last_update, 'number');
    });

    it('docker pull: images, tags, ancestry, json byte-exact, layers', async () => {
      const images = await call('GET', '/v1/repositories/ns/repo/images', { headers: { 'X-Docker-Token': 'true' } });
      assert.equal(images.status, 200);
      assert.deepEqual(
        (JSON.parse(images.body.toString()) as Array<{ id: string }>).map((i) => i.id),
        [A, B],
      );
      assert.ok(images.headers.get('x-docker-token'));
      assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/ns/repo/tags')).body.toString()), { latest: B });
      assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/ns/repo/tags/latest')).body.toString()), B);
      assert.deepEqual(JSON.parse((await call('GET', `/v1/images/${B}/ancestry`)).body.toString()), [B, A]);
      for (const [id, json, layer] of [
        [A, jsonOf(A), layerA],
        [B, jsonOf(B, A), layerB],
      ] as const) {
        const j = await call('GET', `/v1/images/${id}/json`);
        assert.equal(j.status, 200);
        assert.deepEqual(j.body, json);
        assert.equal(j.headers.get('x-docker-size'), String(layer.length));
        assert.equal(j.headers.get('x-docker-checksum-payload'), payload(json, layer));
        assert.equal(j.headers.get('cache-control'), 'public, max-age=31536000');
        const l = await call('GET', `/v1/images/${id}/layer`);
        assert.equal(l.status, 200);
        assert.equal(l.headers.get('content-type'), 'application/octet-stream');
        assert.equal(l.headers.get('accept-ranges'), 'bytes');
        assert.deepEqual(l.body, layer);
      }
      assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/ns/repo/tags/latest/json')).body.toString()).docker_version, '1.3.0');
    });

    it('resumes a broken download with Range: bytes=N-<size> (Docker’s ResumableRequestReader)', async () => {
      const size = layerB.length;
      const part = await call('GET', `/v1/images/${B}/layer`, { headers: { Range: `bytes=1000-${size}` } });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 1000-${size - 1}/${size}`);
      assert.deepEqual(part.body, layerB.subarray(1000));
      const end = await call('GET', `/v1/images/${B}/layer`, { headers: { Range: `bytes=${size}-${size}` } });
      assert.equal(end.status, 416);
      assert.equal(end.headers.get('content-range'), `bytes */${size}`);
      assert.equal(end.body.length, 0);
      const ignored = await call('GET', `/v1/images/${B}/layer`, { headers: { Range: 'bytes=-10' } });
      assert.equal(ignored.status, 200);
      assert.equal(ignored.body.length, size);
    });

    it('HEAD on a layer and If-Modified-Since', async () => {
      const head = await fetch(`${srv.url}/v1/images/${A}/layer`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(layerA.length));
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      const cached = await call('GET', `/v1/images/${A}/json`, { headers: { 'If-Modified-Since': 'Thu, 01 Jan 1970 00:00:00 GMT' } });
      assert.equal(cached.status, 304);
    });

    it('a re-push finds the images and is told they exist', async () => {
      assert.equal((await call('GET', `/v1/images/${A}/json`)).status, 200);
      const again = await call('PUT', `/v1/images/${A}/json`, { body: jsonOf(A) });
      assert.equal(again.status, 409);
      assert.deepEqual(JSON.parse(again.body.toString()), { error: 'Image already exists' });
      assert.equal(await putChunked(srv.url, `/v1/images/${A}/layer`, Buffer.from('other')), 409);
      assert.deepEqual((await call('GET', `/v1/images/${A}/layer`)).body, layerA, 'the stored layer is untouched');
    });

    it('an interrupted push is taken over by the next push', async () => {
      const C = 'c'.repeat(64);
      await call('PUT', `/v1/images/${C}/json`, { body: jsonOf(C, A) });
      assert.equal(await putChunked(srv.url, `/v1/images/${C}/layer`, Buffer.from('first attempt')), 200);
      assert.equal((await call('GET', `/v1/images/${C}/json`)).status, 400); // no checksum: still in progress
      await pushImage(srv.url, C, jsonOf(C, A), Buffer.from('second attempt'));
      assert.equal((await call('GET', `/v1/images/${C}/layer`)).body.toString(), 'second attempt');
    });

    it('a wrong checksum is refused and the image stays unpullable', async () => {
      const D = 'd'.repeat(16);
      await call('PUT', `/v1/images/${D}/json`, { body: jsonOf(D) });
      assert.equal(await putChunked(srv.url, `/v1/images/${D}/layer`, Buffer.from('layer')), 200);
      const bad = await call('PUT', `/v1/images/${D}/checksum`, { headers: { 'X-Docker-Checksum-Payload': `sha256:${'0'.repeat(64)}` } });
      assert.equal(bad.status, 400);
      assert.deepEqual(JSON.parse(bad.body.toString()), { error: 'Checksum mismatch' });
      assert.equal((await call('GET', `/v1/images/${D}/layer`)).status, 400);
    });
  });
}

describeRegistry('local storage', async () => testConfig());
describeRegistry('S3 (Ceph RGW)', async () => {
  const rgw = await sharedRgw();
  if (!rgw) return null;
  return loadYaml(`t:\n  standalone: true\n  loglevel: error\n${await s3ConfigLines(rgw, 'berth-v1')}`, 't').config;
});

for (const version of ['0.9', '0.6']) {
  describe(`a store written by docker-registry ${version}, pulled through the API`, () => {
    it('serves tags, ancestry, json, layers and checksum headers unchanged', async () => {
      const copy = tempDir('berth-v1-legacy-');
      cpSync(path.join(INSTALL_DIR, 'test/fixtures/registry', version), copy, { recursive: true });
      const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${copy}\n  standalone: true\n  loglevel: error\n`, 't').config);
      const call = v1Client(srv.url);
      try {
        const tags = JSON.parse((await call('GET', '/v1/repositories/ns/repo/tags')).body.toString()) as Record<string, string>;
        const id = tags.latest as string;
        const ancestry = JSON.parse((await call('GET', `/v1/images/${id}/ancestry`)).body.toString()) as string[];
        assert.equal(ancestry.length, 2);
        for (const image of ancestry) {
          const j = await call('GET', `/v1/images/${image}/json`);
          assert.deepEqual(j.body, readFileSync(path.join(copy, 'images', image, 'json')));
          const layer = readFileSync(path.join(copy, 'images', image, 'layer'));
          assert.equal(j.headers.get('x-docker-checksum-payload'), payload(j.body, layer));
          assert.deepEqual((await call('GET', `/v1/images/${image}/layer`)).body, layer);
        }
        assert.deepEqual(
          JSON.parse((await call('GET', '/v1/repositories/ns/my%2Brepo/tags')).body.toString()),
          { v2: id },
          'an odd name, in either encoding era',
        );
        assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/busybox/tags')).body.toString()), { '1.0': ancestry[1] });
      } finally {
        await srv.stop();
      }
    });
  });
}
