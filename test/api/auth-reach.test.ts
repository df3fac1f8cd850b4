/**
 * Where a credential's reach ends, through real HTTP: paths are matched case-sensitively (so
 * `/V2/` is not a way around the V2 gate), a V1 token opens only the images of its repository,
 * an anonymous reader's token works on the image calls, a token dies with its user's line in
 * the password file, and the failed-login slow-down counts the address the proxy saw.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ALICE, authServer, BOB, basic, DOCKER_15, htpasswdLines } from '../support/auth-server.js';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { jsonOf, payload } from '../support/v1-client.js';

const ALICE_ID = `${'a'.repeat(63)}1`;
const PUBLIC_ID = `${'b'.repeat(63)}2`;

type Headers = Record<string, string>;

function v1(srv: TestServer) {
  return (method: string, p: string, headers: Headers = {}, body?: string | Buffer) =>
    fetch(srv.url + p, { method, headers: { 'User-Agent': DOCKER_15, ...headers }, ...(body !== undefined ? { body } : {}) });
}

/** A V1 push as Docker 1.x makes it: the index call with Basic (sending the image list), then the token. */
async function dockerPush(srv: TestServer, who: Headers, repository: string, id: string): Promise<void> {
  const call = v1(srv);
  const index = await call('PUT', `/v1/repositories/${repository}/`, { ...who, 'X-Docker-Token': 'true' }, JSON.stringify([{ id }]));
  assert.equal(index.status, 200);
  const auth = { Authorization: `Token ${index.headers.get('x-docker-token')}` };
  const json = jsonOf(id);
  const layer = Buffer.from(`the layer of ${id}`);
  assert.equal((await call('PUT', `/v1/images/${id}/json`, auth, json)).status, 200);
  assert.equal((await call('PUT', `/v1/images/${id}/layer`, auth, layer)).status, 200);
  assert.equal((await call('PUT', `/v1/images/${id}/checksum`, { ...auth, 'X-Docker-Checksum-Payload': payload(json, layer) })).status, 200);
  assert.equal((await call('PUT', `/v1/repositories/${repository}/tags/latest`, auth, `"${id}"`)).status, 200);
  assert.equal((await call('PUT', `/v1/repositories/${repository}/images`, auth, JSON.stringify([{ id }]))).status, 204);
}

/** The token Docker 1.x gets for a pull (`GET …/images` with X-Docker-Token). */
async function pullToken(srv: TestServer, who: Headers, repository: string): Promise<Headers> {
  const res = await v1(srv)('GET', `/v1/repositories/${repository}/images`, { ...who, 'X-Docker-Token': 'true' });
  assert.equal(res.status, 200);
  const token = res.headers.get('x-docker-token');
  assert.ok(token, 'the index hands out a token');
  return { Authorization: `Token ${token}` };
}

describe('auth: where a credential reaches', function () {
  this.timeout(60_000);

  it('paths are case-sensitive: /V2/ reaches no route, with or without auth', async () => {
    const tokenMode = await startTestServer(
      loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: false\n  index_endpoint: http://127.0.0.1:9/\n  loglevel: error\n`, 't').config,
    );
    const own = await authServer();
    try {
      for (const srv of [tokenMode, own]) {
        const digest = `sha256:${'0'.repeat(64)}`;
        const post = await fetch(`${srv.url}/V2/x/app/blobs/uploads/?digest=${digest}`, {
          method: 'POST',
          body: 'x',
          headers: { 'User-Agent': 'containerd/v2.1.1' },
        });
        assert.equal(post.status, 404, `${srv === own ? 'own auth' : 'token mode'}: POST /V2/…/blobs/uploads/`);
        const catalog = await fetch(`${srv.url}/V2/_catalog`, { headers: { 'User-Agent': 'containerd/v2.1.1' } });
        assert.equal(catalog.status, 404, 'GET /V2/_catalog');
        assert.equal((await fetch(`${srv.url}/V1/repositories/x/app/tags`)).status, 404, 'GET /V1/…');
      }
    } finally {
      await tokenMode.stop();
      await own.stop();
    }
  });

  describe('V1 tokens', () => {
    let srv: Awaited<ReturnType<typeof authServer>>;
    before(async () => {
      srv = await authServer('    anonymous_read: true\n');
      await dockerPush(srv, ALICE, 'alice/private', ALICE_ID);
      await dockerPush(srv, ALICE, 'library/pub', PUBLIC_ID);
    });
    after(() => srv?.stop());

    it("a token for one repository opens that repository's images and no other's", async () => {
      const call = v1(srv);
      const bobs = await pullToken(srv, BOB, 'library/pub');
      for (const part of ['json', 'ancestry', 'layer']) {
        assert.equal((await call('GET', `/v1/images/${PUBLIC_ID}/${part}`, bobs)).status, 200, `library/pub's image ${part}`);
        const other = await call('GET', `/v1/images/${ALICE_ID}/${part}`, bobs);
        assert.equal(other.status, 403, `alice/private's image ${part} with a token for library/pub`);
        assert.deepEqual(await other.json(), { error: 'Access denied' });
      }
      // alice's own token for library/pub does not open alice/private's images either: the token decides, not the user.
      const alices = await pullToken(srv, ALICE, 'library/pub');
      assert.equal((await call('GET', `/v1/images/${ALICE_ID}/json`, alices)).status, 403);
      assert.equal((await call('GET', `/v1/images/${ALICE_ID}/json`, await pullToken(srv, ALICE, 'alice/private'))).status, 200);
    });

    it('an anonymous reader (anonymous_read) gets a token that works on the image calls', async () => {
      const anon = await pullToken(srv, {}, 'library/pub');
      const call = v1(srv);
      assert.equal((await call('GET', `/v1/images/${PUBLIC_ID}/ancestry`, anon)).status, 200);
      assert.equal((await call('GET', `/v1/images/${PUBLIC_ID}/json`, anon)).status, 200);
      assert.equal((await call('GET', `/v1/images/${ALICE_ID}/json`, anon)).status, 403, 'and only those of its repository');
      const push = await call('PUT', `/v1/repositories/library/pub/tags/x`, anon, `"${PUBLIC_ID}"`);
      assert.ok([401, 403].includes(push.status), `a read token does not push (${push.status})`);
    });
  });

  it("a user's tokens stop working once their line leaves the password file", async () => {
    const srv = await authServer();
    try {
      await dockerPush(srv, ALICE, 'alice/app', ALICE_ID);
      const token = await pullToken(srv, ALICE, 'alice/app');
      const call = v1(srv);
      assert.equal((await call('GET', `/v1/images/${ALICE_ID}/json`, token)).status, 200);
      writeFileSync(
        srv.htpasswdPath,
        `${htpasswdLines()
          .filter((l) => !l.startsWith('alice:'))
          .join('\n')}\n`,
      );
      // The file is looked at again at most once a second (watched-file.ts).
      let status = 0;
      for (let i = 0; i < 30 && status !== 401; i++) {
        await new Promise((r) => setTimeout(r, 200));
        status = (await call('GET', `/v1/images/${ALICE_ID}/json`, token)).status;
      }
      assert.equal(status, 401);
      assert.equal((await call('GET', `/v1/repositories/alice/app/tags`, token)).status, 401);
    } finally {
      await srv.stop();
    }
  });

  it('behind a proxy, failed logins count the address the proxy saw, not what the client wrote before it', async () => {
    const srv = await authServer('', '  trust_proxy: true\n');
    try {
      const attempt = async (i: number) => {
        const started = Date.now();
        const res = await fetch(`${srv.url}/v2/`, {
          headers: { 'User-Agent': 'containerd/v2.1.1', 'X-Forwarded-For': `198.51.100.${i}, 10.9.9.9`, ...basic('alice', `guess-${i}`) },
        });
        assert.equal(res.status, 401);
        return Date.now() - started;
      };
      for (let i = 0; i < 5; i++) await attempt(i); // the free failures
      // The sixth is answered after the first wait (250 ms): a lower bound, which a busy machine only lengthens.
      assert.ok((await attempt(5)) >= 240, 'the sixth failure from 10.9.9.9 waits');
      assert.equal((await fetch(`${srv.url}/v2/`, { headers: { 'User-Agent': 'containerd/v2.1.1', 'X-Forwarded-For': '10.9.9.8', ...ALICE } })).status, 200);
    } finally {
      await srv.stop();
    }
  });
});
