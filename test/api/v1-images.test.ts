/**
 * V1 images over real HTTP: bad input gets docker-registry 0.9.1's status and message
 * (docker/docker-registry `docker_registry/images.py`) and leaves what is stored as it was;
 * layers handed to nginx or to the object store instead of streamed.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer } from '../support/server.js';
import { s3ConfigLines, sharedRgw } from '../support/services.js';
import { type BadInput, itAnswersV1Errors, jsonOf, layerA, pushImage, v1Suite } from '../support/v1-client.js';

describe('V1 images: bad input leaves stored data as it was', () => {
  const E = 'e'.repeat(64);
  const suite = v1Suite(E);

  const cases: BadInput[] = [
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
    ['the diff of an image', 'GET', `/v1/images/${E}/diff`, {}, 400, 'Diff queue is disabled'],
  ];
  itAnswersV1Errors(() => suite.call, cases);

  it('path tricks sent raw (fetch would resolve them) get the V1 404', async () => {
    for (const p of ['/v1/images/%2e%2e/json', '/v1/images/..%2F..%2Fetc/json', '/v1/images/%00/json']) {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        http
          .get(suite.srv.url + p, (r) => {
            let body = '';
            r.on('data', (c) => (body += c));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          })
          .on('error', reject);
      });
      assert.equal(res.status, 404, p);
      assert.match(res.body, /^\{"error": "(Invalid image ID|Not found)"\}$/, p);
    }
    assert.equal((await suite.call('GET', `/v1/images/${E}/json`)).status, 200);
  });

  it('a checksum before any layer is a 400, not the old 500', async () => {
    const F = '6'.repeat(64);
    await suite.call('PUT', `/v1/images/${F}/json`, { body: `{"id": "${F}"}` });
    const res = await suite.call('PUT', `/v1/images/${F}/checksum`, { headers: { 'X-Docker-Checksum-Payload': 'sha256:00' } });
    assert.equal(res.status, 400);
  });

  it('a layer upload cut off mid-stream stores nothing and keeps the image in progress', async () => {
    const G = '7'.repeat(64);
    await suite.call('PUT', `/v1/images/${G}/json`, { body: `{"id": "${G}"}` });
    await new Promise<void>((resolve) => {
      const req = http.request(`${suite.srv.url}/v1/images/${G}/layer`, { method: 'PUT', headers: { 'Transfer-Encoding': 'chunked' } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(256 * 1024, 1));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(suite.srv.deps.storage.stat(`images/${G}/layer`), /path not found/);
    assert.equal((await suite.call('GET', `/v1/images/${G}/json`)).status, 400);
    assert.deepEqual((await suite.call('GET', `/v1/images/${E}/layer`)).body.toString(), 'the good layer');
  });
});

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
