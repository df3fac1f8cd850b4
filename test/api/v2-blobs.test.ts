/**
 * V2 blobs and uploads over real HTTP (opencontainers/distribution-spec v1.1 `spec.md`, "Pull",
 * "Push" and "Mounting a blob from another repository"): monolithic, POST+PUT,
 * chunked with out-of-order and repeated chunks refused, streamed PATCH, status, cancel,
 * cross-repository mount, ranges, digest mismatch with nothing stored, a dropped
 * connection resumed, and a session continued by a second server on the same store —
 * on local storage and on S3 (Ceph RGW).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { purgeUploads } from '../../lib/maintenance/purge-uploads.js';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { s3ConfigLines, sharedRgw } from '../support/services.js';
import { API_STORES, serverForSuite } from '../support/stores.js';
import { errorCode, sha256, v2Client } from '../support/v2-client.js';

for (const [label, makeConfig] of API_STORES) {
  describe(`V2 blobs and uploads on ${label}`, function () {
    this.timeout(120_000);
    const suite = serverForSuite(makeConfig);

    const start = async (name: string) => {
      const res = await suite.api.call('POST', `/v2/${name}/blobs/uploads/`);
      assert.equal(res.status, 202);
      assert.equal(res.headers.get('range'), '0-0');
      const location = res.headers.get('location') ?? '';
      assert.match(location, new RegExp(`^/v2/${name}/blobs/uploads/[0-9a-f-]{36}$`));
      assert.equal(res.headers.get('docker-upload-uuid'), location.split('/').at(-1));
      return location;
    };

    it('GET /v2/ says registry/2.0; Docker before 1.6 gets a 404 without it', async () => {
      const res = await suite.api.call('GET', '/v2/');
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      const old = await suite.api.call('GET', '/v2/', {
        headers: { 'User-Agent': 'docker/1.5.0 go/go1.4.1 git-commit/a8a31ef kernel/3.13 os/linux arch/amd64' },
      });
      assert.equal(old.status, 404);
      assert.equal(old.headers.get('docker-distribution-api-version'), null);
    });

    it('monolithic POST ?digest= stores the blob; HEAD and GET serve it with its digest', async () => {
      const data = randomBytes(70_000);
      const digest = await suite.api.pushBlob('mono/one', data);
      const head = await suite.api.call('HEAD', `/v2/mono/one/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(data.length));
      assert.equal(head.headers.get('docker-content-digest'), digest);
      assert.equal(head.body.length, 0);
      const get = await suite.api.call('GET', `/v2/mono/one/blobs/${digest}`);
      assert.equal(get.status, 200);
      assert.ok(get.body.equals(data));
      assert.equal(get.headers.get('docker-distribution-api-version'), 'registry/2.0');
      // The blob is linked into that repository only.
      assert.equal((await suite.api.call('GET', `/v2/mono/other/blobs/${digest}`)).status, 404);
    });

    it('blob ranges: 206 for the RFC 9110 forms, clamped ends, 416 for impossible ones', async () => {
      const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
      const digest = await suite.api.pushBlob('ranges/blob', data);
      const cases: Array<[string, number, number]> = [
        ['bytes=500-1499', 500, 1499],
        ['bytes=500-', 500, 2999],
        ['bytes=-500', 2500, 2999],
        ['bytes=2000-5000', 2000, 2999],
      ];
      for (const [range, from, to] of cases) {
        const res = await suite.api.call('GET', `/v2/ranges/blob/blobs/${digest}`, { headers: { Range: range } });
        assert.equal(res.status, 206, range);
        assert.equal(res.headers.get('content-range'), `bytes ${from}-${to}/3000`, range);
        assert.ok(res.body.equals(data.subarray(from, to + 1)), range);
      }
      for (const range of ['bytes=500-0', 'bytes=5000-10000']) {
        const res = await suite.api.call('GET', `/v2/ranges/blob/blobs/${digest}`, { headers: { Range: range } });
        assert.equal(res.status, 416, range);
        assert.equal(res.headers.get('content-range'), 'bytes */3000');
        assert.equal(errorCode(res), 'RANGE_INVALID');
      }
    });

    it('POST then PUT with the whole body', async () => {
      const data = Buffer.from('monolithic in two steps');
      const location = await start('two/step');
      const put = await suite.api.call('PUT', `${location}?digest=${sha256(data)}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 201);
      assert.equal(put.headers.get('location'), `/v2/two/step/blobs/${sha256(data)}`);
      assert.equal(put.headers.get('docker-content-digest'), sha256(data));
      assert.ok((await suite.api.call('GET', `/v2/two/step/blobs/${sha256(data)}`)).body.equals(data));
      // The session is gone once it is closed.
      assert.equal(errorCode(await suite.api.call('GET', location)), 'BLOB_UPLOAD_UNKNOWN');
    });

    it('chunked: out-of-order and repeated chunks are 416, status reports the range, the last PUT has no body', async () => {
      const data = randomBytes(50_000);
      const [one, two] = [data.subarray(0, 20_000), data.subarray(20_000)];
      const location = await start('chunked/app');
      const early = await suite.api.call('PATCH', location, { body: two, headers: { 'Content-Range': '20000-49999' } });
      assert.equal(early.status, 416);
      assert.equal(errorCode(early), 'RANGE_INVALID');
      const first = await suite.api.call('PATCH', location, { body: one, headers: { 'Content-Range': '0-19999' } });
      assert.equal(first.status, 202);
      assert.equal(first.headers.get('range'), '0-19999');
      assert.equal(first.headers.get('location'), location);
      assert.equal((await suite.api.call('PATCH', location, { body: one, headers: { 'Content-Range': '0-19999' } })).status, 416, 'a retried chunk');
      const status = await suite.api.call('GET', location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.get('range'), '0-19999');
      assert.equal(status.headers.get('location'), location);
      const second = await suite.api.call('PATCH', location, { body: two, headers: { 'Content-Range': '20000-49999' } });
      assert.equal(second.headers.get('range'), '0-49999');
      const put = await suite.api.call('PUT', `${location}?digest=${sha256(data)}`);
      assert.equal(put.status, 201);
      assert.ok((await suite.api.call('GET', `/v2/chunked/app/blobs/${sha256(data)}`)).body.equals(data));
    });

    it('a chunk whose length differs from its Content-Range is SIZE_INVALID and not kept', async () => {
      const location = await start('chunked/size');
      const res = await suite.api.call('PATCH', location, { body: 'abc', headers: { 'Content-Range': '0-9' } });
      assert.equal(res.status, 400);
      assert.equal(errorCode(res), 'SIZE_INVALID');
      assert.equal((await suite.api.call('GET', location)).headers.get('range'), '0-0');
    });

    it('streamed PATCH without Content-Range, then a closing PUT with the last bytes', async () => {
      const location = await start('streamed/app');
      const patch = await suite.api.call('PATCH', location, { body: 'streamed ', headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(patch.status, 202);
      assert.equal(patch.headers.get('range'), '0-8');
      const whole = Buffer.from('streamed and closed');
      const put = await suite.api.call('PUT', `${location}?digest=${sha256(whole)}`, { body: 'and closed' });
      assert.equal(put.status, 201);
      assert.ok((await suite.api.call('GET', `/v2/streamed/app/blobs/${sha256(whole)}`)).body.equals(whole));
    });

    it('a wrong digest is DIGEST_INVALID and stores nothing; the session can still be closed correctly', async () => {
      const data = Buffer.from('the real bytes');
      const wrong = sha256('other bytes');
      const mono = await suite.api.call('POST', `/v2/bad/digest/blobs/uploads/?digest=${wrong}`, { body: data });
      assert.equal(mono.status, 400);
      assert.equal(errorCode(mono), 'DIGEST_INVALID');
      assert.equal((await suite.api.call('HEAD', `/v2/bad/digest/blobs/${wrong}`)).status, 404);
      const location = await start('bad/digest');
      await suite.api.call('PATCH', location, { body: data });
      const put = await suite.api.call('PUT', `${location}?digest=${wrong}`);
      assert.equal(errorCode(put), 'DIGEST_INVALID');
      assert.equal((await suite.api.call('HEAD', `/v2/bad/digest/blobs/${wrong}`)).status, 404);
      assert.equal((await suite.api.call('PUT', `${location}?digest=${sha256(data)}`)).status, 201);
      const bogus = await suite.api.call('PUT', `${location}?digest=sha256:1234`);
      assert.equal(bogus.status, 400);
    });

    it('DELETE cancels a session', async () => {
      const location = await start('cancel/app');
      await suite.api.call('PATCH', location, { body: 'partial' });
      assert.equal((await suite.api.call('DELETE', location)).status, 204);
      const after = await suite.api.call('PATCH', location, { body: 'more' });
      assert.equal(after.status, 404);
      assert.equal(errorCode(after), 'BLOB_UPLOAD_UNKNOWN');
    });

    it('cross-repository mount: 201 from a repository that has it, 202 and a session otherwise', async () => {
      const digest = await suite.api.pushBlob('mount/source', 'shared layer');
      const mounted = await suite.api.call('POST', `/v2/mount/target/blobs/uploads/?mount=${digest}&from=mount/source`);
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers.get('location'), `/v2/mount/target/blobs/${digest}`);
      assert.equal((await suite.api.call('GET', `/v2/mount/target/blobs/${digest}`)).body.toString(), 'shared layer');
      const unknown = await suite.api.call('POST', `/v2/mount/target/blobs/uploads/?mount=${sha256('nobody has this')}&from=mount/source`);
      assert.equal(unknown.status, 202);
      assert.match(unknown.headers.get('location') ?? '', /\/blobs\/uploads\//);
      const wrongFrom = await suite.api.call('POST', `/v2/mount/third/blobs/uploads/?mount=${digest}&from=mount/empty`);
      assert.equal(wrongFrom.status, 202, 'a repository that does not link the blob cannot lend it');
      const noFrom = await suite.api.call('POST', `/v2/mount/fourth/blobs/uploads/?mount=${digest}`);
      assert.equal(noFrom.status, 201, 'mount without from finds an existing blob');
    });

    it('a zero-byte blob, and a sha512 digest', async () => {
      const empty = await suite.api.call('POST', `/v2/odd/blobs/blobs/uploads/?digest=${sha256('')}`, { body: '' });
      assert.equal(empty.status, 201);
      const head = await suite.api.call('HEAD', `/v2/odd/blobs/blobs/${sha256('')}`);
      assert.equal(head.headers.get('content-length'), '0');
      const d512 = `sha512:${createHash('sha512').update('five twelve').digest('hex')}`;
      assert.equal((await suite.api.call('POST', `/v2/odd/blobs/blobs/uploads/?digest=${d512}`, { body: 'five twelve' })).status, 201);
      assert.equal((await suite.api.call('GET', `/v2/odd/blobs/blobs/${d512}`)).body.toString(), 'five twelve');
    });

    it('a connection dropped mid-PATCH leaves the session at its last offset, and the upload resumes', async () => {
      const data = randomBytes(200_000);
      const location = await start('resume/app');
      await suite.api.call('PATCH', location, { body: data.subarray(0, 50_000), headers: { 'Content-Range': '0-49999' } });
      await new Promise<void>((resolve) => {
        const req = http.request(suite.srv.url + location, { method: 'PATCH', headers: { 'Content-Range': '50000-199999', 'Content-Length': '150000' } });
        req.on('error', () => resolve());
        req.write(data.subarray(50_000, 120_000), () => setTimeout(() => req.destroy(), 100));
        req.on('close', () => resolve());
      });
      // The server sees the hang-up asynchronously: wait (bounded) until it has cleaned up.
      let range = '';
      for (let i = 0; i < 50; i++) {
        range = (await suite.api.call('GET', location)).headers.get('range') ?? '';
        if (range === '0-49999') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(range, '0-49999');
      await suite.api.call('PATCH', location, { body: data.subarray(50_000), headers: { 'Content-Range': '50000-199999' } });
      assert.equal((await suite.api.call('PUT', `${location}?digest=${sha256(data)}`)).status, 201);
      assert.ok((await suite.api.call('GET', `/v2/resume/app/blobs/${sha256(data)}`)).body.equals(data));
    });

    it('a session started on one server is continued and closed by another on the same store', async () => {
      const second = await startTestServer(suite.srv.deps.config);
      try {
        const other = v2Client(second.url);
        const location = await start('shared/session');
        await suite.api.call('PATCH', location, { body: 'first half, ', headers: { 'Content-Range': '0-11' } });
        const patch = await other.call('PATCH', location, { body: 'second half', headers: { 'Content-Range': '12-22' } });
        assert.equal(patch.status, 202);
        const whole = 'first half, second half';
        assert.equal((await suite.api.call('PUT', `${location}?digest=${sha256(whole)}`)).status, 201);
        assert.equal((await other.call('GET', `/v2/shared/session/blobs/${sha256(whole)}`)).body.toString(), whole);
      } finally {
        await second.stop();
      }
    });

    it('the same blob pushed by several clients at once ends stored once, intact', async () => {
      const data = randomBytes(300_000);
      const results = await Promise.all(
        Array.from({ length: 4 }, () => suite.api.call('POST', `/v2/race/blob/blobs/uploads/?digest=${sha256(data)}`, { body: data })),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        [201, 201, 201, 201],
      );
      assert.ok((await suite.api.call('GET', `/v2/race/blob/blobs/${sha256(data)}`)).body.equals(data));
    });

    it('blob DELETE unlinks it from the repository', async () => {
      const digest = await suite.api.pushBlob('delete/blob', 'to be deleted');
      assert.equal((await suite.api.call('DELETE', `/v2/delete/blob/blobs/${digest}`)).status, 202);
      assert.equal(errorCode(await suite.api.call('GET', `/v2/delete/blob/blobs/${digest}`)), 'BLOB_UNKNOWN');
      assert.equal((await suite.api.call('DELETE', `/v2/delete/blob/blobs/${digest}`)).status, 404);
    });

    it('abandoned sessions are purged by age; fresh ones stay', async () => {
      const location = await start('purge/app');
      await suite.api.call('PATCH', location, { body: 'left behind' });
      const { storage } = suite.srv.deps;
      assert.deepEqual(await purgeUploads(storage, 3600_000), []);
      assert.equal((await suite.api.call('GET', location)).status, 204);
      const purged = await purgeUploads(storage, 3600_000, { now: Date.now() + 7200_000 });
      assert.ok(purged.includes(`purge/app/${location.split('/').at(-1)}`));
      assert.equal((await suite.api.call('GET', location)).status, 404);
    });
  });
}

for (const [label, makeConfig] of API_STORES) {
  describe(`V2 uploads that stall, race or come from old clients, on ${label}`, function () {
    this.timeout(120_000);
    const suite = serverForSuite(() => makeConfig('  upload_idle_timeout: 1\n'));

    it('a stalled PATCH is not counted in the status, and is dropped after upload_idle_timeout so the session goes on', async () => {
      const start = await suite.api.call('POST', '/v2/stall/app/blobs/uploads/');
      const location = start.headers.get('location') as string;
      const stalled = http.request(suite.srv.url + location, { method: 'PATCH', headers: { 'Content-Length': '1000', 'Content-Range': '0-999' } });
      const ended = new Promise<void>((resolve) => {
        stalled.on('error', () => resolve());
        stalled.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve());
        });
      });
      stalled.write(Buffer.alloc(10, 1)); // ...and nothing more: a client lost behind a dead network path
      await new Promise((r) => setTimeout(r, 200));
      assert.equal((await suite.api.call('GET', location)).headers.get('range'), '0-0', 'bytes of an unfinished chunk are not counted');
      await ended; // the server drops it after 1 s without bytes
      const data = Buffer.from('the real upload');
      const patch = await suite.api.call('PATCH', location, { body: data, headers: { 'Content-Range': `0-${data.length - 1}` } });
      assert.equal(patch.status, 202);
      assert.equal((await suite.api.call('PUT', `${location}?digest=${sha256(data)}`)).status, 201);
      assert.ok((await suite.api.call('GET', `/v2/stall/app/blobs/${sha256(data)}`)).body.equals(data));
    });

    it('concurrent DELETEs of one blob, and a cancel racing the closing PUT: no 500', async () => {
      const digest = await suite.api.pushBlob('race/blobdel', 'deleted by many');
      const deletes = await Promise.all(Array.from({ length: 8 }, () => suite.api.call('DELETE', `/v2/race/blobdel/blobs/${digest}`)));
      const statuses = deletes.map((r) => r.status);
      assert.ok(statuses.every((s) => s === 202 || s === 404) && statuses.includes(202), String(statuses));
      const start = await suite.api.call('POST', '/v2/race/cancel/blobs/uploads/');
      const location = start.headers.get('location') as string;
      await suite.api.call('PATCH', location, { body: 'racing' });
      const [put, cancel] = await Promise.all([suite.api.call('PUT', `${location}?digest=${sha256('racing')}`), suite.api.call('DELETE', location)]);
      assert.ok([201, 404].includes(put.status) && [204, 404].includes(cancel.status), `${put.status} ${cancel.status}`);
    });

    it('tarsum blobSums are unknown (404), a mount that cannot be done is a new session, an empty blob ignores Range', async () => {
      const tarsum = await suite.api.call('HEAD', `/v2/old/tarsum/blobs/tarsum.v1+sha256:${'a'.repeat(64)}`);
      assert.equal(tarsum.status, 404);
      for (const query of [`mount=${sha256('x')}&from=Bad_Name`, 'mount=sha256:nothex', `mount=${sha256('x')}&from=nobody/here`]) {
        const res = await suite.api.call('POST', `/v2/mount/fallback/blobs/uploads/?${query}`);
        assert.equal(res.status, 202, query);
        assert.match(res.headers.get('location') ?? '', /\/blobs\/uploads\/[0-9a-f-]{36}$/);
      }
      const empty = await suite.api.pushBlob('odd/empty', '');
      const ranged = await suite.api.call('GET', `/v2/odd/empty/blobs/${empty}`, { headers: { Range: 'bytes=0-' } });
      assert.equal(ranged.status, 200);
      assert.equal(ranged.body.length, 0);
    });
  });
}

describe('V2 input checks', () => {
  let srv: TestServer;
  let api: ReturnType<typeof v2Client>;
  before(async () => {
    const dir = tempDir('berth-v2-');
    srv = await startTestServer(
      loadYaml(`t:\n  storage: local\n  storage_path: ${dir}\n  standalone: true\n  loglevel: error\n  storage_delete_enabled: false\n`, 't').config,
    );
    api = v2Client(srv.url);
  });
  after(() => srv.stop());

  it('names, digests and upload ids are checked before anything touches storage', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['GET', '/v2/UPPER/tags/list', 400, 'NAME_INVALID'],
      ['GET', '/v2/a..b/tags/list', 400, 'NAME_INVALID'],
      ['GET', '/v2/ns/..%2Fetc/tags/list', 400, 'NAME_INVALID'],
      ['GET', '/v2/ns/app/blobs/sha256:abc', 400, 'DIGEST_INVALID'],
      ['GET', '/v2/ns/app/blobs/md5:d41d8cd98f00b204e9800998ecf8427e', 400, 'DIGEST_INVALID'],
      // A read of a reference that can name nothing is a manifest that is not there (as
      // registry:2 and the OCI conformance suite have it); a PUT of one is refused.
      ['GET', '/v2/ns/app/manifests/sha256:totallywrong', 404, 'MANIFEST_UNKNOWN'],
      ['GET', '/v2/ns/app/manifests/bad%20tag', 404, 'MANIFEST_UNKNOWN'],
      ['GET', '/v2/ns/app/manifests/.INVALID_MANIFEST_NAME', 404, 'MANIFEST_UNKNOWN'],
      ['PUT', '/v2/ns/app/manifests/.INVALID_MANIFEST_NAME', 400, 'TAG_INVALID'],
      ['PUT', '/v2/ns/app/manifests/sha256:totallywrong', 400, 'DIGEST_INVALID'],
      ['PATCH', '/v2/ns/app/blobs/uploads/../../etc', 404, 'NOT_FOUND'],
      ['PATCH', '/v2/ns/app/blobs/uploads/not-a-uuid', 404, 'BLOB_UPLOAD_UNKNOWN'],
      ['GET', '/v2/ns/app/tags/list?n=-1', 400, 'PAGINATION_NUMBER_INVALID'],
    ];
    for (const [method, p, status, code] of cases) {
      const res = await api.call(method, p);
      assert.equal(res.status, status, `${method} ${p}: ${res.body}`);
      assert.equal(errorCode(res), code, `${method} ${p}`);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    }
  });

  it('with storage_delete_enabled: false, manifest and blob DELETE are 405 UNSUPPORTED and nothing goes', async () => {
    const digest = await api.pushBlob('nodelete/app', 'kept');
    const res = await api.call('DELETE', `/v2/nodelete/app/blobs/${digest}`);
    assert.equal(res.status, 405);
    assert.equal(errorCode(res), 'UNSUPPORTED');
    assert.equal((await api.call('DELETE', '/v2/nodelete/app/manifests/latest')).status, 405);
    assert.equal((await api.call('GET', `/v2/nodelete/app/blobs/${digest}`)).body.toString(), 'kept');
  });
});

describe('V2 blob offloading', function () {
  this.timeout(60_000);

  it('nginx_x_accel_redirect hands the blob to nginx by its registry:2 path (local storage)', async () => {
    const srv = await startTestServer(
      loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n  nginx_x_accel_redirect: /registry/\n`, 't').config,
    );
    try {
      const digest = await v2Client(srv.url).pushBlob('offload/app', 'blob bytes');
      const res = await fetch(`${srv.url}/v2/offload/app/blobs/${digest}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-accel-redirect'), `/registry/docker/registry/v2/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      assert.equal((await res.arrayBuffer()).byteLength, 0);
    } finally {
      await srv.stop();
    }
  });

  it('storage_redirect answers 307 to a presigned S3 URL that serves the blob', async function () {
    const rgw = await sharedRgw();
    if (!rgw) return this.skip();
    const config = loadYaml(
      `t:\n  standalone: true\n  loglevel: error\n  storage_redirect: true\n${await s3ConfigLines(rgw, 'berth-v2-redirect')}`,
      't',
    ).config;
    const srv = await startTestServer(config);
    try {
      const data = randomBytes(100_000);
      const digest = await v2Client(srv.url).pushBlob('offload/app', data);
      const res = await fetch(`${srv.url}/v2/offload/app/blobs/${digest}`, { redirect: 'manual' });
      assert.equal(res.status, 307);
      const location = res.headers.get('location') ?? '';
      assert.match(location, /^http:\/\/127\.0\.0\.1:\d+\/berth-v2-redirect-[\d-]+\/.*docker\/registry\/v2\/blobs\/sha256\//);
      assert.ok(Buffer.from(await (await fetch(location)).arrayBuffer()).equals(data));
      // HEAD is answered by Berth itself.
      assert.equal((await fetch(`${srv.url}/v2/offload/app/blobs/${digest}`, { method: 'HEAD', redirect: 'manual' })).status, 200);
    } finally {
      await srv.stop();
    }
  });
});

describe('V2 on or off (v2_enabled)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['standalone', '  standalone: true\n', true],
    ['token mode: V1 is guarded by index tokens V2 clients cannot present', '  standalone: false\n', false],
    ['token mode with disable_token_auth', '  standalone: false\n  disable_token_auth: true\n', true],
    ['token mode, V2 explicitly on (guarded in front)', '  standalone: false\n  v2_enabled: true\n', true],
    ['standalone, V2 explicitly off', '  standalone: true\n  v2_enabled: false\n', false],
  ];
  for (const [label, lines, served] of cases) {
    it(`${label}: ${served ? 'served' : 'a 404 that does not claim V2'}`, async () => {
      const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  loglevel: error\n${lines}`, 't').config);
      try {
        for (const p of ['/v2/', '/v2/ns/app/tags/list', '/v2/_catalog']) {
          const res = await fetch(srv.url + p);
          assert.equal(res.headers.get('docker-distribution-api-version'), served ? 'registry/2.0' : null, p);
          if (!served) assert.equal(res.status, 404, p);
        }
        const upload = await fetch(`${srv.url}/v2/ns/app/blobs/uploads/?digest=${sha256('x')}`, { method: 'POST', body: 'x' });
        assert.equal(upload.status, served ? 201 : 404);
      } finally {
        await srv.stop();
      }
    });
  }
});
