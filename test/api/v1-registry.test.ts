/**
 * The V1 API as a Docker 1.x engine drives it (moby/moby v1.3.0 and v1.6.0 `registry/session.go`,
 * `registry/auth.go`, `graph/push.go`, `graph/pull.go`; replayed over real HTTP):
 * push of a two-image chain, pull, re-push, an interrupted push, a checksum mismatch,
 * resumed downloads, and the resulting storage tree — on local storage and on S3 (Ceph RGW).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Config } from '../../lib/config/load.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir, testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { s3ConfigLines, sharedRgw } from '../support/services.js';

const UA = 'docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64';
const A = 'a'.repeat(63) + '1';
const B = 'b'.repeat(63) + '2';
const fixture = path.join(INSTALL_DIR, 'test/fixtures/registry/0.9/images');
const FIX_A = '511136ea3c5a64f264b78b5433614aec563103b4d4702f3ba7d4d2698e22c158';
const layerA = readFileSync(path.join(fixture, FIX_A, 'layer'));
const layerB = Buffer.concat([layerA, Buffer.from('more bytes for B')]);
const jsonOf = (id: string, parent?: string) =>
  Buffer.from(JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2014-06-01T00:00:00Z', comment: 'ü' }));
const payload = (json: Buffer, layer: Buffer) => `sha256:${createHash('sha256').update(json).update('\n').update(layer).digest('hex')}`;

function client(base: string) {
  return async (method: string, p: string, options: { body?: Buffer | string; headers?: Record<string, string> } = {}) => {
    const res = await fetch(base + p, {
      method,
      headers: { 'User-Agent': UA, ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };
}

/** PUT a layer with Transfer-Encoding: chunked, as Docker does. */
function putChunked(base: string, p: string, data: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(base + p, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'User-Agent': UA } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    for (let off = 0; off < data.length; off += 4096) req.write(data.subarray(off, off + 4096));
    req.end();
  });
}

async function pushImage(base: string, id: string, json: Buffer, layer: Buffer) {
  const call = client(base);
  assert.notEqual((await call('GET', `/v1/images/${id}/json`)).status, 200);
  const put = await call('PUT', `/v1/images/${id}/json`, { body: json, headers: { 'Content-Type': 'application/json' } });
  assert.equal(put.status, 200, put.body.toString());
  assert.equal(put.body.toString(), 'true');
  const during = await call('GET', `/v1/images/${id}/json`);
  assert.equal(during.status, 400);
  assert.deepEqual(JSON.parse(during.body.toString()), { error: 'Image is being uploaded, retry later' });
  assert.equal(await putChunked(base, `/v1/images/${id}/layer`, layer), 200);
  const checksum = await call('PUT', `/v1/images/${id}/checksum`, {
    headers: { 'X-Docker-Checksum-Payload': payload(json, layer), 'X-Docker-Checksum': 'tarsum+sha256:ignored' },
  });
  assert.equal(checksum.status, 200, checksum.body.toString());
  const again = await call('PUT', `/v1/images/${id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(json, layer) } });
  assert.equal(again.status, 409);
  assert.deepEqual(JSON.parse(again.body.toString()), { error: 'Cannot set this image checksum' });
}

function describeRegistry(label: string, makeConfig: () => Promise<Readonly<Config> | null>) {
  describe(`V1 push and pull on ${label}`, function () {
    this.timeout(60_000);
    let srv: TestServer;
    let call: ReturnType<typeof client>;
    before(async function () {
      const config = await makeConfig();
      if (!config) return this.skip();
      srv = await startTestServer(config);
      call = client(srv.url);
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

describe('V1 bad input leaves stored data as it was', () => {
  let srv: TestServer;
  let call: ReturnType<typeof client>;
  const E = 'e'.repeat(64);
  before(async () => {
    srv = await startTestServer(testConfig());
    call = client(srv.url);
    await pushImage(srv.url, E, jsonOf(E), Buffer.from('the good layer'));
  });
  after(() => srv.stop());

  const cases: Array<[string, string, string, { body?: string; headers?: Record<string, string> }, number, string]> = [
    ['an id that is not hex', 'GET', '/v1/images/not-an-id/json', {}, 404, 'Invalid image ID'],
    ['an unknown image', 'GET', `/v1/images/${'f'.repeat(64)}/json`, {}, 404, 'Image not found'],
    ['malformed JSON', 'PUT', `/v1/images/${'1'.repeat(64)}/json`, { body: '{not json' }, 400, 'Invalid JSON'],
    ['JSON without id', 'PUT', `/v1/images/${'1'.repeat(64)}/json`, { body: '{"parent": "x"}' }, 400, "Missing key `id' in JSON"],
    [
      'an id that does not match the URL',
      'PUT',
      `/v1/images/${'1'.repeat(64)}/json`,
      { body: `{"id": "${'2'.repeat(64)}"}` },
      400,
      'JSON data contains invalid id',
    ],
    [
      'a missing parent',
      'PUT',
      `/v1/images/${'1'.repeat(64)}/json`,
      { body: `{"id": "${'1'.repeat(64)}", "parent": "${'3'.repeat(64)}"}` },
      400,
      'Image depends on a non existing parent',
    ],
    ['a layer for an image without JSON', 'PUT', `/v1/images/${'4'.repeat(64)}/layer`, { body: 'x' }, 404, 'Image not found'],
    [
      'a checksum without the header',
      'PUT',
      `/v1/images/${E}/checksum`,
      {},
      412,
      'X-Docker-Checksum-Payload not set.  If you are using the Docker daemon, you should upgrade to version 0.10 or later',
    ],
    ['a tag on a missing image', 'PUT', '/v1/repositories/ns/bad/tags/latest', { body: `"${'5'.repeat(64)}"` }, 404, 'Image not found'],
    ['a tag body that is not a JSON string', 'PUT', '/v1/repositories/ns/bad/tags/latest', { body: '{"id": 1}' }, 400, 'Invalid data'],
    ['an invalid tag name', 'PUT', '/v1/repositories/ns/bad/tags/-bad', { body: `"${E}"` }, 400, 'Invalid tag name (must match ^[\\w][\\w.-]{0,127}$)'],
    ['tags of an unknown repository', 'GET', '/v1/repositories/ns/nothing/tags', {}, 404, 'Repository not found'],
    ['an unknown tag', 'GET', '/v1/repositories/ns/nothing/tags/x', {}, 404, 'Tag not found'],
    ['deleting an unknown tag', 'DELETE', '/v1/repositories/ns/nothing/tags/x', {}, 404, 'Tag not found: x'],
    ['the diff of an image', 'GET', `/v1/images/${E}/diff`, {}, 400, 'Diff queue is disabled'],
  ];
  for (const [label, method, p, options, status, message] of cases) {
    it(`${label}: ${status} ${message}`, async () => {
      const res = await call(method, p, options);
      assert.equal(res.status, status, res.body.toString());
      assert.deepEqual(JSON.parse(res.body.toString()), { error: message });
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    });
  }

  it('path tricks sent raw (fetch would resolve them) get the V1 404', async () => {
    for (const p of ['/v1/images/%2e%2e/json', '/v1/images/..%2F..%2Fetc/json', '/v1/images/%00/json']) {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(srv.url + p, (r) => {
            let body = '';
            r.on('data', (c) => (body += c));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
      assert.equal(res.status, 404, p);
      assert.match(res.body, /^\{"error": "(Invalid image ID|Not found)"\}$/, p);
    }
    assert.equal((await call('GET', `/v1/images/${E}/json`)).status, 200);
  });

  it('a checksum before any layer is a 400, not the old 500', async () => {
    const F = '6'.repeat(64);
    await call('PUT', `/v1/images/${F}/json`, { body: `{"id": "${F}"}` });
    const res = await call('PUT', `/v1/images/${F}/checksum`, { headers: { 'X-Docker-Checksum-Payload': 'sha256:00' } });
    assert.equal(res.status, 400);
  });

  it('a layer upload cut off mid-stream stores nothing and keeps the image in progress', async () => {
    const G = '7'.repeat(64);
    await call('PUT', `/v1/images/${G}/json`, { body: `{"id": "${G}"}` });
    await new Promise<void>((resolve) => {
      const req = http.request(`${srv.url}/v1/images/${G}/layer`, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(256 * 1024, 1));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(srv.deps.storage.stat(`images/${G}/layer`), /path not found/);
    assert.equal((await call('GET', `/v1/images/${G}/json`)).status, 400);
    assert.deepEqual((await call('GET', `/v1/images/${E}/layer`)).body.toString(), 'the good layer');
  });

  it('deletes a tag, then the repository', async () => {
    assert.equal((await call('PUT', '/v1/repositories/ns/del/tags/latest', { body: `"${E}"` })).status, 200);
    assert.equal((await call('PUT', '/v1/repositories/ns/del/tags/old', { body: `"${E}"` })).status, 200);
    assert.equal((await call('DELETE', '/v1/repositories/ns/del/tags/latest')).status, 200);
    assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/ns/del/tags')).body.toString()), { old: E });
    assert.equal((await call('DELETE', '/v1/repositories/ns/del/')).status, 200);
    assert.equal((await call('GET', '/v1/repositories/ns/del/tags')).status, 404);
    assert.equal((await call('GET', `/v1/images/${E}/json`)).status, 200, 'images are never deleted with a repository');
  });

  it('repository properties: the private flag', async () => {
    assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/ns/props/properties')).body.toString()), { access: 'public' });
    assert.equal((await call('PUT', '/v1/repositories/ns/props/properties', { body: '{"access": "private"}' })).status, 200);
    assert.equal((await srv.deps.storage.getContent('repositories/ns/props/_private')).length, 0);
    assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/ns/props/properties')).body.toString()), { access: 'private' });
    assert.equal((await call('PUT', '/v1/repositories/ns/props/properties', { body: '{"access": "public"}' })).status, 200);
    assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/ns/props/properties')).body.toString()), { access: 'public' });
    const bad = await call('PUT', '/v1/repositories/ns/props/properties', { body: '[]' });
    assert.equal(bad.status, 400);
  });

  it('a one-part name lives in the library namespace', async () => {
    assert.equal((await call('PUT', '/v1/repositories/ubuntu/tags/14.04', { body: `"${E}"` })).status, 200);
    assert.deepEqual(JSON.parse((await call('GET', '/v1/repositories/library/ubuntu/tags')).body.toString()), { '14.04': E });
  });

  it('docker login against a standalone registry', async () => {
    assert.equal((await call('POST', '/v1/users/', { body: '{"username":"u","password":"p","email":"e"}' })).status, 201);
    assert.equal((await call('GET', '/v1/users/')).body.toString(), '"OK"');
    assert.equal((await call('PUT', '/v1/users/u/')).status, 204);
  });
});

describe('V1 token mode (standalone: false)', () => {
  it('refuses image and repository routes with 401 and WWW-Authenticate: Token', async () => {
    const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: false\n  loglevel: error\n`, 't').config);
    try {
      const res = await fetch(`${srv.url}/v1/images/${'a'.repeat(64)}/json`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Token');
      assert.deepEqual(await res.json(), { error: 'Requires authorization' });
      assert.equal((await fetch(`${srv.url}/v1/users/`)).status, 404, 'no index emulation outside standalone mode');
    } finally {
      await srv.stop();
    }
  });
});

for (const version of ['0.9', '0.6']) {
  describe(`a store written by docker-registry ${version}, pulled through the API`, () => {
    it('serves tags, ancestry, json, layers and checksum headers unchanged', async () => {
      const copy = tempDir('berth-v1-legacy-');
      cpSync(path.join(INSTALL_DIR, 'test/fixtures/registry', version), copy, { recursive: true });
      const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${copy}\n  standalone: true\n  loglevel: error\n`, 't').config);
      const call = client(srv.url);
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

describe('V1 layer offloading', function () {
  this.timeout(60_000);
  const H = '8'.repeat(64);

  it('nginx_x_accel_redirect hands the layer to nginx by path (local storage)', async () => {
    const srv = await startTestServer(
      loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n  nginx_x_accel_redirect: /registry/\n`, 't').config,
    );
    try {
      await pushImage(srv.url, H, jsonOf(H), Buffer.from('layer bytes'));
      const res = await fetch(`${srv.url}/v1/images/${H}/layer`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-accel-redirect'), `/registry/images/${H}/layer`);
      assert.equal((await res.arrayBuffer()).byteLength, 0);
    } finally {
      await srv.stop();
    }
  });

  it('storage_redirect answers 302 to a presigned S3 URL that serves the layer', async function () {
    const rgw = await sharedRgw();
    if (!rgw) return this.skip();
    const config = loadYaml(`t:\n  standalone: true\n  loglevel: error\n  storage_redirect: true\n${await s3ConfigLines(rgw, 'berth-redirect')}`, 't').config;
    const srv = await startTestServer(config);
    try {
      await pushImage(srv.url, H, jsonOf(H), layerA);
      const res = await fetch(`${srv.url}/v1/images/${H}/layer`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      const location = res.headers.get('location') ?? '';
      assert.match(location, /^http:\/\/127\.0\.0\.1:\d+\/berth-redirect-[\d-]+\/registry\/images\/8+\/layer\?/);
      assert.deepEqual(Buffer.from(await (await fetch(location)).arrayBuffer()), layerA);
    } finally {
      await srv.stop();
    }
  });
});
