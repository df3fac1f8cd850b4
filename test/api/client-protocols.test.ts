/**
 * Which protocol each client gets, checked at the HTTP level with the exact User-Agents and the
 * first requests real engines send (README, "Which clients get which protocol"):
 *   Docker ≤ 1.5    probes /v2/ with Go's default agent; must see a V1-only registry.
 *   Docker 1.6–1.9  probe with their own agent; V2 with schema1 manifests.
 *   Docker 1.10+    V2 with schema2.
 *   modern clients  V2, whatever agent they send (Go's default `Go-http-client/1.1` included).
 * With V2 off, every /v2… path answers as a V1-only server: 404, no V2 envelope, no
 * Docker-Distribution-API-Version, so Docker 1.6–1.10 fall back to V1.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';

const AGENTS = {
  go11: 'Go 1.1 package http',
  docker150: 'docker/1.5.0 go/go1.4.1 git-commit/a8a31ef kernel/3.13.0-49-generic os/linux arch/amd64',
  docker150dev: 'docker/1.5.0-dev go/go1.4.2 git-commit/2e6cde4 kernel/3.13.0 os/linux arch/amd64',
  docker162: 'docker/1.6.2 go/go1.4.2 git-commit/7c8fca2 kernel/3.13.0-49-generic os/linux arch/amd64',
  docker191: 'docker/1.9.1 go/go1.4.3 git-commit/a34a1d5 kernel/3.19.0-25-generic os/linux arch/amd64',
  docker1103: 'docker/1.10.3 go/go1.5.3 git-commit/20f81dd kernel/4.4.0-21-generic os/linux arch/amd64',
  docker28: 'docker/28.2.2 go/go1.24.3 git-commit/e6534b4 kernel/6.1.0-37-amd64 os/linux arch/amd64 UpstreamClient(Docker-Client/28.2.2 \\(linux\\))',
  goDefault: 'Go-http-client/1.1',
  crane: 'crane/v0.20.3 go-containerregistry/v0.20.3',
  skopeo: 'containers/5.23.1 (github.com/containers/image)',
  containerd: 'containerd/v2.1.1',
  regclient: 'regclient/regctl (v0.8.3)',
};

const ID = `${'c'.repeat(63)}5`;
const LAYER = Buffer.from('a layer from Docker 1.5');
const JSON_BYTES = Buffer.from(JSON.stringify({ id: ID, created: '2015-02-10T00:00:00Z' }));
const BLOB = `sha256:${createHash('sha256').update('a V2 layer').digest('hex')}`;

type Call = (method: string, path: string, agent: string, options?: { body?: string | Buffer; headers?: Record<string, string> }) => Promise<Response>;

const caller =
  (srv: TestServer): Call =>
  (method, path, agent, options = {}) =>
    fetch(srv.url + path, { method, headers: { 'User-Agent': agent, ...options.headers }, ...(options.body !== undefined ? { body: options.body } : {}) });

/** What a V1-only registry answers on /v2…: a 404 that neither claims V2 nor carries a V2 error. */
async function assertV1Only(res: Response, what: string): Promise<void> {
  assert.equal(res.status, 404, what);
  assert.equal(res.headers.get('docker-distribution-api-version'), null, `${what}: must not claim V2`);
  assert.equal(res.headers.get('location'), null, what);
  const text = await res.text();
  if (text === '') return; // HEAD
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.equal(body.errors, undefined, `${what}: a V2 error envelope makes Docker 1.10 stop instead of falling back`);
  assert.deepEqual(body, { error: 'Not found' }, what);
}

async function assertV2(res: Response, status: number, what: string): Promise<void> {
  assert.equal(res.status, status, `${what}: ${await res.clone().text()}`);
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0', what);
}

/** The V1 push of one image as Docker ≤ 1.9 send it, ending with the index call that must be a 204. */
async function pushV1(call: Call, agent: string): Promise<void> {
  assert.equal((await call('GET', '/v1/_ping', agent)).status, 200);
  const index = await call('PUT', '/v1/repositories/ns/app/', agent, {
    body: JSON.stringify([{ id: ID, Tag: 'latest' }]),
    headers: { 'Content-Type': 'application/json', 'X-Docker-Token': 'true' },
  });
  assert.equal(index.status, 200);
  assert.ok(index.headers.get('x-docker-token'), 'Docker refuses an index answer without X-Docker-Token');
  assert.ok(index.headers.get('x-docker-endpoints'), 'Docker refuses an index answer without X-Docker-Endpoints');
  assert.equal((await call('GET', `/v1/images/${ID}/json`, agent)).status, 404);
  assert.equal((await call('PUT', `/v1/images/${ID}/json`, agent, { body: JSON_BYTES, headers: { 'Content-Type': 'application/json' } })).status, 200);
  assert.equal((await call('PUT', `/v1/images/${ID}/layer`, agent, { body: LAYER })).status, 200);
  const payload = `sha256:${createHash('sha256').update(JSON_BYTES).update('\n').update(LAYER).digest('hex')}`;
  assert.equal((await call('PUT', `/v1/images/${ID}/checksum`, agent, { headers: { 'X-Docker-Checksum-Payload': payload } })).status, 200);
  assert.equal((await call('PUT', '/v1/repositories/ns/app/tags/latest', agent, { body: `"${ID}"` })).status, 200);
  assert.equal((await call('PUT', '/v1/repositories/ns/app/images', agent, { body: '[]', headers: { 'X-Docker-Token': 'true' } })).status, 204);
}

describe('which protocol each client gets', () => {
  let srv: TestServer;
  let call: Call;
  before(async () => {
    srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n`, 't').config);
    call = caller(srv);
  });
  after(() => srv.stop());

  it('Docker 1.5.0: the probe with Go’s default agent, and its pre-release V2 requests, see a V1-only registry; the V1 push works and the image pulls', async () => {
    await assertV1Only(await call('GET', '/v2/', AGENTS.go11), 'GET /v2/ (Go 1.1 package http)');
    // What Docker 1.5 sends next when it believes the registry speaks V2:
    await assertV1Only(await call('HEAD', `/v2/ns/app/blobs/tarsum.v1+sha256:${'0'.repeat(64)}`, AGENTS.docker150), 'HEAD tarsum blob');
    await assertV1Only(await call('POST', '/v2/ns/app/blobs/uploads/', AGENTS.docker150), 'POST uploads');
    await pushV1(call, AGENTS.docker150);
    const tags = await call('GET', '/v1/repositories/ns/app/tags', AGENTS.docker150);
    assert.deepEqual(await tags.json(), { latest: ID });
    assert.deepEqual(Buffer.from(await (await call('GET', `/v1/images/${ID}/layer`, AGENTS.docker150)).arrayBuffer()), LAYER);
  });

  it('any agent of Docker before 1.6 is kept off V2, on every /v2… path', async () => {
    for (const agent of [
      AGENTS.go11,
      AGENTS.docker150,
      'docker/1.3.2 go/go1.3.3',
      'docker/1.4.1 go/go1.3.3',
      'docker/1.0.0 go/go1.2.1',
      'Go 1.1 package http (extra)',
    ]) {
      for (const path of ['/v2/', '/v2', '/v2/_catalog', '/v2/ns/app/tags/list', '/v2/no/such/route'])
        await assertV1Only(await call('GET', path, agent), `${agent} GET ${path}`);
    }
  });

  it('Docker 1.5.x-dev builds (the 1.6 pre-releases) get V2, as distribution’s nginx rule lets them', async () => {
    await assertV2(await call('GET', '/v2/', AGENTS.docker150dev), 200, 'GET /v2/');
  });

  for (const [label, agent] of [
    ['Docker 1.6.2 (schema1)', AGENTS.docker162],
    ['Docker 1.9.1 (schema1)', AGENTS.docker191],
    ['Docker 1.10.3 (schema2)', AGENTS.docker1103],
    ['Docker 28.2', AGENTS.docker28],
  ] as const) {
    it(`${label}: the probe says registry/2.0 and the first push requests are V2`, async () => {
      await assertV2(await call('GET', '/v2/', agent), 200, 'GET /v2/');
      await assertV2(await call('HEAD', `/v2/ns/app/blobs/${BLOB}`, agent), 404, 'HEAD blob (existence check)');
      const upload = await call('POST', '/v2/ns/app/blobs/uploads/', agent);
      await assertV2(upload, 202, 'POST uploads');
      assert.match(upload.headers.get('location') ?? '', /^\/v2\/ns\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
    });
  }

  it('modern clients stay on V2, Go’s default agent included', async () => {
    for (const agent of [AGENTS.goDefault, AGENTS.crane, AGENTS.skopeo, AGENTS.containerd, AGENTS.regclient, '']) {
      await assertV2(await call('GET', '/v2/', agent), 200, `GET /v2/ (${agent || 'no agent'})`);
      await assertV2(await call('GET', '/v2/ns/none/tags/list', agent), 404, `tags of an unknown repository (${agent || 'no agent'})`);
    }
  });
});

describe('which protocol each client gets when V2 is off (v2_enabled: false)', () => {
  let srv: TestServer;
  let call: Call;
  before(async () => {
    srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  v2_enabled: false\n  loglevel: error\n`, 't').config);
    call = caller(srv);
  });
  after(() => srv.stop());

  it('Docker 1.10.3: the probe and the first V2 push request get a V1-only 404, and the V1 push that follows works', async () => {
    await assertV1Only(await call('GET', '/v2/', AGENTS.docker1103), 'GET /v2/');
    await assertV1Only(await call('HEAD', `/v2/ns/app/blobs/${BLOB}`, AGENTS.docker1103), 'HEAD blob');
    await assertV1Only(await call('POST', '/v2/ns/app/blobs/uploads/', AGENTS.docker1103), 'POST uploads');
    await pushV1(call, AGENTS.docker1103);
  });

  it('every client, every /v2… path, every method', async () => {
    for (const agent of Object.values(AGENTS)) {
      for (const [method, path] of [
        ['GET', '/v2/'],
        ['GET', '/v2/_catalog'],
        ['GET', '/v2/ns/app/manifests/latest'],
        ['PUT', '/v2/ns/app/manifests/latest'],
        ['DELETE', `/v2/ns/app/blobs/${BLOB}`],
        ['PATCH', `/v2/ns/app/blobs/uploads/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`],
      ]) {
        await assertV1Only(await call(method as string, path as string, agent), `${agent}: ${method} ${path}`);
      }
    }
  });
});
