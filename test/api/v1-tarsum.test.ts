/**
 * Docker before 0.10 sent only `X-Docker-Checksum` (a tarsum) on `PUT checksum`. Berth checks
 * it against the stored layer (the hand-made layer of test/checksums/tarsum.test.ts, pushed as
 * Docker 0.9 would).
 */
import assert from 'node:assert/strict';
import { v1 } from '../../lib/storage/paths.js';
import { testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { upstreamImages } from '../support/upstream-layers.js';

const UA = 'docker/0.9.1 go/go1.2.1 git-commit/3600720 kernel/3.8.0 os/linux arch/amd64';
const LAYER = Buffer.from(
  'H4sIAAAAAAACA+2UTQ7CIBBGZ+0pcG90+JnOFbyGiSY1oiSUxh5foBvThcYFTQy8zUeABZkXvv5irTtAUTDCRDkjy8xrqciw1qZL+xJZaRAEKzAO4eTjU7xz4dO9b+d/Sp/9P523532YQjH/nTEpJRO+54zkhX+JOvrHNf1DnRyT/52IMxjG+3YDjbqY/7+9Pm6F+5/5h/7XhhGEKltLrf8bjUbVvADn0zihAAwAAA==',
  'base64',
);
const idOf = (c: string) => c.repeat(64);
const jsonOf = (id: string) => `{"id":"${id}","created":"2015-07-09T00:00:00Z","container_config":{"Cmd":["/bin/sh","-c","#(nop) ADD hello"]},"Size":3072}`;
// Version0 tarsum of the layer with that JSON (for id a…a) as extra, as test/checksums/tarsum.test.ts checks it.
const TARSUM_A = 'tarsum+sha256:ac3fbec737f2b28b57885fc59545f803575812965d01dd724dbb610dde77286a';

describe('V1 PUT checksum with only X-Docker-Checksum (Docker < 0.10)', () => {
  let srv: TestServer;
  const call = (method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(srv.url + p, { method, headers: { 'User-Agent': UA, ...headers }, ...(body !== undefined ? { body } : {}) });
  const upload = async (id: string) => {
    assert.equal((await call('PUT', `/v1/images/${id}/json`, jsonOf(id))).status, 200);
    assert.equal((await call('PUT', `/v1/images/${id}/layer`, LAYER)).status, 200);
  };
  before(async () => {
    srv = await startTestServer(testConfig());
  });
  after(() => srv.stop());

  it('a matching tarsum completes the image, which is then pullable and lists the tarsum', async () => {
    const id = idOf('a');
    await upload(id);
    const res = await call('PUT', `/v1/images/${id}/checksum`, undefined, { 'X-Docker-Checksum': TARSUM_A });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(await res.text(), 'true');
    const json = await call('GET', `/v1/images/${id}/json`);
    assert.equal(json.status, 200);
    assert.match(json.headers.get('x-docker-checksum-payload') ?? '', new RegExp(TARSUM_A.replace('+', '\\+')));
    assert.ok(Buffer.from(await (await call('GET', `/v1/images/${id}/layer`)).arrayBuffer()).equals(LAYER));
  });

  it('a wrong tarsum is 400 Checksum mismatch and the image stays unfinished', async () => {
    const id = idOf('b');
    await upload(id);
    const res = await call('PUT', `/v1/images/${id}/checksum`, undefined, { 'X-Docker-Checksum': TARSUM_A });
    assert.equal(res.status, 400, 'the JSON differs (other id), so the sum does');
    assert.deepEqual(await res.json(), { error: 'Checksum mismatch' });
    assert.equal((await call('GET', `/v1/images/${id}/json`)).status, 400);
    const bad = await call('PUT', `/v1/images/${id}/checksum`, undefined, { 'X-Docker-Checksum': 'md5:abc' });
    assert.deepEqual(await bad.json(), { error: 'Invalid checksum format' });
  });

  it('a layer that is not a whole tar (cut off, or xz garbage) is a mismatch, and the server goes on', async () => {
    for (const [digit, layer] of [
      ['d', Buffer.concat([LAYER.subarray(0, 100)])],
      ['e', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(300, 9)])],
    ] as const) {
      const id = idOf(digit);
      assert.equal((await call('PUT', `/v1/images/${id}/json`, jsonOf(id))).status, 200);
      assert.equal((await call('PUT', `/v1/images/${id}/layer`, layer)).status, 200);
      const res = await call('PUT', `/v1/images/${id}/checksum`, undefined, { 'X-Docker-Checksum': TARSUM_A });
      assert.equal(res.status, 400);
    }
    // An empty tar's tarsum (the hash of the JSON alone) must not be what xz garbage sums to.
    const id = idOf('f');
    const { createHash } = await import('node:crypto');
    const emptySum = `tarsum+sha256:${createHash('sha256').update(jsonOf(id)).digest('hex')}`;
    assert.equal((await call('PUT', `/v1/images/${id}/json`, jsonOf(id))).status, 200);
    assert.equal(
      (await call('PUT', `/v1/images/${id}/layer`, Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(50, 3)]))).status,
      200,
    );
    assert.equal((await call('PUT', `/v1/images/${id}/checksum`, undefined, { 'X-Docker-Checksum': emptySum })).status, 400);
    assert.equal((await call('GET', '/v1/_ping')).status, 200);
  });

  it('with neither header it is still the 412 of docker-registry 0.9.1', async () => {
    const id = idOf('c');
    await upload(id);
    const res = await call('PUT', `/v1/images/${id}/checksum`);
    assert.equal(res.status, 412);
  });
});

describe('V1 push of the upstream test images, verified by each golden sum', () => {
  const kinds = [
    { kind: 'tarsum', header: 'X-Docker-Checksum', ua: UA },
    { kind: 'tarsum.v1', header: 'X-Docker-Checksum', ua: UA },
    { kind: 'payload', header: 'X-Docker-Checksum-Payload', ua: 'docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64' },
  ] as const;
  for (const { kind, header, ua } of kinds) {
    describe(`with the ${kind} sum in ${header}`, () => {
      let srv: TestServer;
      const call = (method: string, p: string, body?: Buffer, headers: Record<string, string> = {}) =>
        fetch(srv.url + p, { method, headers: { 'User-Agent': ua, ...headers }, ...(body !== undefined ? { body } : {}) });
      before(async () => {
        srv = await startTestServer(testConfig());
      });
      after(() => srv.stop());

      for (const image of upstreamImages()) {
        it(`${image.folder}: PUT checksum accepts ${image.sums[kind]}, and the image is then pullable`, async () => {
          if (image.parent) {
            // The parent is not part of the upstream data: a finished stub stands in for it.
            await srv.deps.storage.putContent(v1.imageJson(image.parent), JSON.stringify({ id: image.parent }));
            await srv.deps.storage.putContent(v1.imageAncestry(image.parent), JSON.stringify([image.parent]));
          }
          assert.equal((await call('PUT', `/v1/images/${image.id}/json`, image.json)).status, 200);
          assert.equal((await call('PUT', `/v1/images/${image.id}/layer`, image.layer)).status, 200);
          const res = await call('PUT', `/v1/images/${image.id}/checksum`, undefined, { [header]: image.sums[kind] });
          assert.equal(res.status, 200, await res.text());
          const json = await call('GET', `/v1/images/${image.id}/json`);
          assert.equal(json.status, 200);
          assert.ok(Buffer.from(await json.arrayBuffer()).equals(image.json));
          assert.ok(Buffer.from(await (await call('GET', `/v1/images/${image.id}/layer`)).arrayBuffer()).equals(image.layer));
        });
      }
    });
  }
});
