/**
 * Token mode (standalone: false): every request carries the index's token, which Berth checks
 * with the index (`index_endpoint`). Docker Hub's V1 index no longer exists, so the index here
 * is a small HTTP peer on 127.0.0.1 that answers the one call a registry makes to it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseToken } from '../../lib/services/v1/tokens.js';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';

const A = 'a1'.repeat(32);
const OTHER = 'b2'.repeat(32);
const WRITE = 'Token signature=GOOD,repository="ns/repo",access=write';
const READ = 'Token signature=GOOD,repository="ns/repo",access=read';

describe('V1 token mode (standalone: false) against an index', () => {
  let index: http.Server;
  let indexCalls = 0;
  let srv: TestServer;
  const call = (method: string, p: string, auth?: string, body?: string) =>
    fetch(srv.url + p, { method, headers: auth ? { Authorization: auth } : {}, ...(body !== undefined ? { body } : {}) });

  before(async () => {
    index = http.createServer((req, res) => {
      indexCalls++;
      const access = /^\/v1\/repositories\/ns\/repo\/layer\/([0-9a-f]+)\/access$/.exec(req.url ?? '');
      if (access) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end(JSON.stringify({ access: access[1] === A }));
      }
      const ok = req.url === '/v1/repositories/ns/repo/images' && req.headers.authorization?.includes('signature=GOOD');
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
      res.end(ok ? JSON.stringify([{ id: A }, { id: 'c3'.repeat(32), checksum: 'sha256:x' }]) : '{"error": "no"}');
    });
    await new Promise<void>((r) => index.listen(0, '127.0.0.1', r));
    const indexUrl = `http://127.0.0.1:${(index.address() as AddressInfo).port}`;
    srv = await startTestServer(
      loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: false\n  index_endpoint: ${indexUrl}/\n  loglevel: error\n`, 't').config,
    );
  });
  after(async () => {
    await srv.stop();
    await new Promise((r) => index.close(r));
  });

  it('parses tokens as the old regex did', () => {
    assert.deepEqual(parseToken('Token signature=abc,repository="foo/bar",access=write'), {
      repository: 'foo/bar',
      access: 'write',
      raw: 'Token signature=abc,repository="foo/bar",access=write',
    });
    assert.equal(parseToken('Basic dXNlcjpwYXNz'), null);
    assert.equal(parseToken(undefined), null);
  });

  it('without a token: 401 with WWW-Authenticate: Token', async () => {
    const res = await call('GET', `/v1/images/${A}/json`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Token');
    assert.deepEqual(await res.json(), { error: 'Requires authorization' });
  });

  it('a write token pushes the images the index listed, and stores that list', async () => {
    assert.equal((await call('PUT', `/v1/images/${A}/json`, WRITE, `{"id": "${A}"}`)).status, 200);
    assert.deepEqual(JSON.parse((await srv.deps.storage.getContent('repositories/ns/repo/_images_list')).toString()), [A, 'c3'.repeat(32)]);
    const foreign = await call('PUT', `/v1/images/${OTHER}/json`, WRITE, `{"id": "${OTHER}"}`);
    assert.equal(foreign.status, 400);
    assert.deepEqual(await foreign.json(), { error: 'This image does not belong to the repository' });
  });

  it('a write token may also read (Docker reuses it during a push, issue #541)', async () => {
    assert.equal((await call('GET', `/v1/images/${A}/json`, WRITE)).status, 400); // reachable: "being uploaded"
  });

  it('a read token cannot write; a token for another repository cannot touch this one', async () => {
    assert.equal((await call('PUT', '/v1/repositories/ns/repo/tags/latest', READ, `"${A}"`)).status, 401);
    assert.equal((await call('GET', '/v1/repositories/ns/other/tags', READ)).status, 401);
  });

  it('a token the index refuses is refused', async () => {
    assert.equal((await call('GET', `/v1/images/${A}/json`, 'Token signature=BAD,repository="ns/repo",access=read')).status, 401);
  });

  it('asks the index once a minute per token, not on every request', async () => {
    const before = indexCalls;
    for (let i = 0; i < 5; i++) await call('GET', '/v1/repositories/ns/repo/tags', READ);
    assert.ok(indexCalls - before <= 1, `${indexCalls - before} index calls`);
  });

  it('a parent the index does not let this token use is refused', async () => {
    const child = 'c3'.repeat(32); // listed by the index for ns/repo
    await srv.deps.storage.putContent(`images/${OTHER}/json`, `{"id": "${OTHER}"}`);
    await srv.deps.storage.putContent(`images/${OTHER}/ancestry`, `["${OTHER}"]`);
    const res = await call('PUT', `/v1/images/${child}/json`, WRITE, `{"id": "${child}", "parent": "${OTHER}"}`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'Image depends on an unauthorized parent' });
    await srv.deps.storage.putContent(`images/${A}/ancestry`, `["${A}"]`);
    assert.equal((await call('PUT', `/v1/images/${child}/json`, WRITE, `{"id": "${child}", "parent": "${A}"}`)).status, 200);
  });

  it('in a private repository, images the index does not grant read as missing', async () => {
    await srv.deps.storage.putContent('repositories/ns/repo/_private', '');
    await srv.deps.storage.delete(`images/${A}/_inprogress`).catch(() => {});
    assert.equal((await call('GET', `/v1/images/${A}/json`, READ)).status, 200);
    const denied = await call('GET', `/v1/images/${OTHER}/json`, READ);
    assert.equal(denied.status, 404);
    assert.deepEqual(await denied.json(), { error: 'Image not found' });
    assert.equal((await call('GET', `/v1/images/${OTHER}/layer`, READ)).status, 404);
    await srv.deps.storage.delete('repositories/ns/repo/_private');
    assert.equal((await call('GET', `/v1/images/${OTHER}/json`, READ)).status, 200, 'public again: readable');
  });

  it('there is no index emulation outside standalone mode', async () => {
    assert.equal((await call('GET', '/v1/users/')).status, 404);
  });
});

describe('V1 with disable_token_auth', () => {
  it('is open without tokens (auth is left to the proxy in front)', async () => {
    const srv = await startTestServer(
      loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: false\n  disable_token_auth: true\n  loglevel: error\n`, 't').config,
    );
    try {
      assert.equal((await fetch(`${srv.url}/v1/images/${A}/json`)).status, 404);
    } finally {
      await srv.stop();
    }
  });
});
