/**
 * Berth's own access control (`auth:` with an htpasswd file), through real HTTP: V2 challenges,
 * 401 and 403 in each API's envelope, `docker login` as Docker 1.x does it, the V1 tokens the
 * index signs and the image routes check, `_catalog` and search filtered to what the caller
 * may pull, the pings open. And one walk over the router's route table: every route but the
 * open ones answers 401 without credentials and 403 to a user without the right, so routes
 * added later are covered without anyone remembering to.
 */
import assert from 'node:assert/strict';
import { routeTableOf } from '../../lib/app.js';
import { ALICE, authServer, BOB, basic, CAROL, DOCKER_15 } from '../support/auth-server.js';
import { loadYaml, tempDir } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { payload } from '../support/v1-client.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

const ID = `${'d'.repeat(63)}1`;

describe('auth: htpasswd basic auth', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let api: ReturnType<typeof v2Client>;
  const call = (method: string, p: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
    api.call(method, p, { headers: { 'User-Agent': 'containerd/v2.1.1', ...headers }, ...(body !== undefined ? { body } : {}) });
  before(async () => {
    srv = await authServer();
    api = v2Client(srv.url);
  });
  after(() => srv?.stop());

  it('GET /v2/ is the challenge: 401 UNAUTHORIZED with a Basic realm (and the V2 header) until the password is right', async () => {
    const none = await call('GET', '/v2/');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="Berth Test"');
    assert.equal(none.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal(none.json<{ errors: Array<{ code: string }> }>().errors[0]?.code, 'UNAUTHORIZED');
    assert.equal((await call('GET', '/v2/', basic('alice', 'wrong'))).status, 401);
    assert.equal((await call('GET', '/v2/', basic('nobody', 'alice-pw'))).status, 401);
    for (const who of [ALICE, BOB, CAROL]) assert.equal((await call('GET', '/v2/', who)).status, 200);
  });

  it('a known user without the right is 403 DENIED; the rules decide per repository and action', async () => {
    const layer = await gzipLayer({ 'a.txt': 'a\n' });
    const push = (who: Record<string, string>, name: string) =>
      call('POST', `/v2/${name}/blobs/uploads/?digest=${layer.digest}`, { ...who, 'Content-Type': 'application/octet-stream' }, layer.bytes);
    assert.equal((await push(ALICE, 'alice/app')).status, 201);
    assert.equal((await push(ALICE, 'library/app')).status, 201);
    const denied = await push(BOB, 'library/app');
    assert.equal(denied.status, 403);
    assert.equal(denied.json<{ errors: Array<{ code: string }> }>().errors[0]?.code, 'DENIED');
    assert.equal((await call('HEAD', `/v2/library/app/blobs/${layer.digest}`, BOB)).status, 200, 'bob may pull library/*');
    assert.equal((await call('HEAD', `/v2/alice/app/blobs/${layer.digest}`, BOB)).status, 403);
    assert.equal((await call('HEAD', `/v2/alice/app/blobs/${layer.digest}`, CAROL)).status, 403, 'no rule for carol: nothing');
    // V2's one-part `app` is the rules' library/app: bob may look (and finds nothing there).
    assert.equal((await call('HEAD', `/v2/app/blobs/${layer.digest}`, BOB)).status, 404);
    assert.equal((await call('HEAD', `/v2/other/blobs/${layer.digest}`, CAROL)).status, 403);
  });

  it('_catalog lists only what the caller may pull', async () => {
    const layer = await gzipLayer({ 'c.txt': 'c\n' });
    const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } };
    const push = async (name: string) => {
      for (const blob of [layer.bytes, Buffer.from(JSON.stringify(config))]) {
        const digest = `sha256:${(await import('node:crypto')).createHash('sha256').update(blob).digest('hex')}`;
        await call('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { ...ALICE, 'Content-Type': 'application/octet-stream' }, blob);
      }
    };
    await push('alice/secret');
    await push('library/public');
    const seen = async (who: Record<string, string>) => (await call('GET', '/v2/_catalog', who)).json<{ repositories: string[] }>().repositories;
    // Repositories appear in _catalog once they hold manifests: push one each.
    const cfg = `sha256:${(await import('node:crypto')).createHash('sha256').update(JSON.stringify(config)).digest('hex')}`;
    const manifest = {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: JSON.stringify(config).length, digest: cfg },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.bytes.length, digest: layer.digest }],
    };
    for (const name of ['alice/secret', 'library/public']) {
      const put = await call('PUT', `/v2/${name}/manifests/v1`, { ...ALICE, 'Content-Type': DOCKER_MANIFEST }, JSON.stringify(manifest));
      assert.equal(put.status, 201, put.body.toString());
    }
    assert.ok((await seen(ALICE)).includes('alice/secret'));
    assert.ok((await seen(BOB)).includes('library/public'));
    assert.ok(!(await seen(BOB)).includes('alice/secret'), 'bob is not told of alice/secret');
  });

  it('the pings stay open; /metrics and / ask for a login', async () => {
    for (const p of ['/_ping', '/v1/_ping', '/healthz']) assert.equal((await fetch(srv.url + p)).status, 200, p);
    for (const p of ['/metrics', '/', '/_status']) assert.equal((await fetch(srv.url + p)).status, 401, p);
    assert.equal((await fetch(`${srv.url}/metrics`, { headers: ALICE })).status, 200);
  });

  it('docker login (Docker 1.x): POST /v1/users/ is 401, then GET /v1/users/ says whether the password is right', async () => {
    const post = await fetch(`${srv.url}/v1/users/`, {
      method: 'POST',
      headers: { 'User-Agent': DOCKER_15, 'Content-Type': 'application/json; charset=utf-8', ...ALICE },
      body: JSON.stringify({ username: 'alice', password: 'alice-pw', email: 'a@example.com' }),
    });
    assert.equal(post.status, 401);
    const right = await fetch(`${srv.url}/v1/users/`, { headers: { 'User-Agent': DOCKER_15, ...ALICE } });
    assert.equal(right.status, 200);
    assert.equal(await right.text(), '"OK"');
    const wrong = await fetch(`${srv.url}/v1/users/`, { headers: { 'User-Agent': DOCKER_15, ...basic('alice', 'nope') } });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { error: 'Requires authorization' });
  });

  it('a V1 push over plain HTTP: basic on the index call, then only the signed token on the image calls; it opens that repository and no other', async () => {
    const v1 = (method: string, p: string, headers: Record<string, string>, body?: string | Buffer) =>
      fetch(srv.url + p, { method, headers: { 'User-Agent': DOCKER_15, ...headers }, ...(body !== undefined ? { body } : {}) });
    // Docker 1.x sends the ids of every image it is about to push (its graph push's image list).
    const list = JSON.stringify([{ id: ID }]);
    const index = await v1('PUT', '/v1/repositories/alice/v1app/', { ...ALICE, 'X-Docker-Token': 'true', 'Content-Type': 'application/json' }, list);
    assert.equal(index.status, 200);
    const token = index.headers.get('x-docker-token') ?? '';
    assert.match(token, /^Token /);
    const auth = { Authorization: `Token ${token}` };
    const json = Buffer.from(JSON.stringify({ id: ID, created: '2015-01-01T00:00:00Z' }));
    const layer = Buffer.from('a layer');
    assert.equal((await v1('GET', `/v1/images/${ID}/json`, auth)).status, 404, 'the write token reads (docker-registry#541)');
    assert.equal((await v1('PUT', `/v1/images/${ID}/json`, auth, json)).status, 200);
    assert.equal((await v1('PUT', `/v1/images/${ID}/layer`, auth, layer)).status, 200);
    assert.equal((await v1('PUT', `/v1/images/${ID}/checksum`, { ...auth, 'X-Docker-Checksum-Payload': payload(json, layer) })).status, 200);
    assert.equal((await v1('PUT', '/v1/repositories/alice/v1app/tags/latest', auth, `"${ID}"`)).status, 200);
    const other = await v1('PUT', '/v1/repositories/alice/other/tags/latest', auth, `"${ID}"`);
    assert.equal(other.status, 403, 'a token for one repository never opens another');
    assert.equal(
      (await v1('PUT', '/v1/repositories/alice/v1app/tags/latest', { Authorization: `${token.replace(/signature=[^,]+/, 'signature=forged')}` }, `"${ID}"`))
        .status,
      401,
    );
    assert.equal((await v1('GET', '/v1/repositories/alice/v1app/tags', {})).status, 401);
    assert.equal((await v1('GET', '/v1/repositories/alice/v1app/tags', ALICE)).status, 200);
  });

  it('a V1 repository name outside ASCII gets a token too (it cannot break the X-Docker-Token header), and the token opens it', async () => {
    const repo = '/v1/repositories/alice/%EF%BC%8E%EF%BC%8E';
    const index = await fetch(`${srv.url}${repo}/`, {
      method: 'PUT',
      headers: { 'User-Agent': DOCKER_15, 'X-Docker-Token': 'true', 'Content-Type': 'application/json', ...ALICE },
      body: '[]',
    });
    assert.equal(index.status, 200, await index.text());
    const token = index.headers.get('x-docker-token') ?? '';
    assert.match(token, /^Token [\x20-\x7e]+$/);
    const images = await fetch(`${srv.url}${repo}/images`, { headers: { 'User-Agent': DOCKER_15, Authorization: `Token ${token}` } });
    assert.equal(images.status, 200);
  });

  it('every route of the route table: 401 without credentials, 403 for a user without the right', async () => {
    const table = routeTableOf(srv.app);
    const values: Record<string, string> = {
      '*name': 'zed/app',
      ':reference': 'latest',
      ':digest': `sha256:${'0'.repeat(64)}`,
      ':subject': `sha256:${'0'.repeat(64)}`,
      ':uuid': '00000000-0000-4000-8000-000000000000',
      '*repository': 'zed/app',
      ':id': ID,
      ':tag': 'latest',
      ':username': 'carol',
    };
    const concrete = (p: string) => p.replace(/[*:][a-z]+/g, (param) => values[param] ?? assert.fail(`no value for ${param} in ${p}`));
    let checked = 0;
    for (const route of table.routes) {
      if (route.access === 'open') continue;
      const method = route.method.toUpperCase();
      const p = concrete(route.path);
      const none = await fetch(srv.url + p, { method, headers: { 'User-Agent': 'containerd/v2.1.1' } });
      assert.equal(none.status, 401, `${method} ${route.path} without credentials`);
      if (route.access.resource !== 'registry') {
        const carol = await fetch(srv.url + p, { method, headers: { 'User-Agent': 'containerd/v2.1.1', ...CAROL } });
        assert.equal(carol.status, 403, `${method} ${route.path} for a user without the right`);
      }
      checked++;
    }
    assert.ok(checked > 30, `${checked} routes walked`);
  });
});

describe('auth: anonymous_read and open_paths', function () {
  this.timeout(30_000);
  it('anyone may pull, nobody anonymous may push; /metrics is open when listed', async () => {
    const srv = await authServer('    anonymous_read: true\n    open_paths: ["/metrics"]\n');
    try {
      assert.equal((await fetch(`${srv.url}/metrics`)).status, 200);
      assert.equal((await fetch(`${srv.url}/v2/`, { headers: { 'User-Agent': 'x' } })).status, 200);
      assert.equal(
        (await fetch(`${srv.url}/v2/library/none/tags/list`, { headers: { 'User-Agent': 'x' } })).status,
        404,
        'a pull is let through (and finds nothing)',
      );
      const push = await fetch(`${srv.url}/v2/library/none/blobs/uploads/`, { method: 'POST', headers: { 'User-Agent': 'x' } });
      assert.equal(push.status, 401);
    } finally {
      await srv.stop();
    }
  });
});

describe('trust_proxy: what the proxy was asked for is where Docker is sent', function () {
  this.timeout(30_000);
  it('X-Docker-Endpoints names X-Forwarded-Host with trust_proxy, and the connection without it', async () => {
    for (const trust of [true, false]) {
      const srv = await startTestServer(
        loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n  trust_proxy: ${trust}\n`, 't').config,
      );
      try {
        const res = await fetch(`${srv.url}/v1/repositories/ns/app/`, {
          method: 'PUT',
          headers: { 'User-Agent': DOCKER_15, 'X-Docker-Token': 'true', 'X-Forwarded-Host': 'registry.example.com', 'X-Forwarded-Proto': 'https' },
          body: '[]',
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('x-docker-endpoints'), trust ? 'registry.example.com' : new URL(srv.url).host);
      } finally {
        await srv.stop();
      }
    }
  });
});
