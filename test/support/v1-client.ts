/**
 * A V1 client as a Docker 1.x engine is one (moby/moby v1.3.0 `registry/session.go`): its
 * User-Agent on every call, layers PUT with Transfer-Encoding: chunked, and the push of one
 * image (json, layer, checksum) with the answers docker-registry gave at each step.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { testConfig } from './config.js';
import { startTestServer, type TestServer } from './server.js';

const UA = 'docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64';
/** A layer docker-registry 0.9 stored (test/fixtures/registry/0.9). */
export const layerA = readFileSync(
  path.join(INSTALL_DIR, 'test/fixtures/registry/0.9/images/511136ea3c5a64f264b78b5433614aec563103b4d4702f3ba7d4d2698e22c158/layer'),
);
export const jsonOf = (id: string, parent?: string) =>
  Buffer.from(JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2014-06-01T00:00:00Z', comment: 'ü' }));
export const payload = (json: Buffer, layer: Buffer) => `sha256:${createHash('sha256').update(json).update('\n').update(layer).digest('hex')}`;

export type V1Call = ReturnType<typeof v1Client>;

export function v1Client(base: string) {
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
export function putChunked(base: string, p: string, data: Buffer): Promise<number> {
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

export async function pushImage(base: string, id: string, json: Buffer, layer: Buffer) {
  const call = v1Client(base);
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

/** A request that must fail: label, method, path, body and headers, the status and the V1 error message. */
export type BadInput = [string, string, string, { body?: string; headers?: Record<string, string> }, number, string];

/** One test per case: the status, the body `{"error": message}` and its JSON content type, as docker-registry answered. */
export function itAnswersV1Errors(call: () => V1Call, cases: BadInput[]): void {
  for (const [label, method, p, options, status, message] of cases) {
    it(`${label}: ${status} ${message}`, async () => {
      const res = await call()(method, p, options);
      assert.equal(res.status, status, res.body.toString());
      assert.deepEqual(JSON.parse(res.body.toString()), { error: message });
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
    });
  }
}

/** A standalone server on local storage for the tests of one describe, with `image` (if given) pushed whole first, its layer the bytes `the good layer`. */
export function v1Suite(image?: string): { readonly srv: TestServer; readonly call: V1Call } {
  const suite = {} as { srv: TestServer; call: V1Call };
  before(async () => {
    suite.srv = await startTestServer(testConfig());
    suite.call = v1Client(suite.srv.url);
    if (image) await pushImage(suite.srv.url, image, jsonOf(image), Buffer.from('the good layer'));
  });
  after(() => suite.srv?.stop());
  return suite;
}
