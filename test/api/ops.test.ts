import assert from 'node:assert/strict';
import http from 'node:http';
import { V2 } from '../../lib/errors/catalog.js';
import { RegistryError } from '../../lib/errors/registry-error.js';
import { loadYaml, tempDir, testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('ops routes and V1 conventions over HTTP', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(testConfig('  debug: false\n  issue: \'"docker-registry server"\'\n'), {
      extend: (app) =>
        app.use(async (ctx, next) => {
          if (ctx.path === '/v2/test-error') throw new RegistryError(V2.BLOB_UNKNOWN, { detail: { digest: 'sha256:00' } });
          if (ctx.path === '/v1/no-content') {
            ctx.status = 204;
            ctx.body = '""';
            return;
          }
          await next();
        }),
    });
  });
  after(() => srv.stop());

  it('GET /v1/_ping and /_ping answer {} with the V1 headers', async () => {
    for (const p of ['/v1/_ping', '/_ping']) {
      const res = await fetch(srv.url + p);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), '{}');
      assert.equal(res.headers.get('x-docker-registry-standalone'), 'True');
      assert.equal(res.headers.get('x-docker-registry-version'), '0.9.1');
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('expires'), '-1');
      assert.equal(res.headers.get('pragma'), 'no-cache');
      assert.equal(res.headers.get('docker-distribution-api-version'), null, 'a V1 answer must not claim V2');
    }
  });

  it('HEAD /v1/_ping has the headers and no body', async () => {
    const res = await fetch(`${srv.url}/v1/_ping`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-docker-registry-standalone'), 'True');
    assert.equal(await res.text(), '');
  });

  it('GET / answers the JSON encoding of `issue`', async () => {
    const res = await fetch(`${srv.url}/`);
    assert.equal(await res.text(), '"\\"docker-registry server\\""');
  });

  it('an unknown V1 route is a JSON 404 {"error"}', async () => {
    const res = await fetch(`${srv.url}/v1/nothing-here`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'Not found' });
  });

  it('an unknown V2 route is a JSON 404 {"errors"} from a V2 registry; Docker before 1.6 is not told about V2', async () => {
    const res = await fetch(`${srv.url}/v2/nothing/here`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal(res.headers.get('x-docker-registry-version'), null);
    const body = (await res.json()) as { errors: Array<{ code: string }> };
    assert.equal(body.errors[0]?.code, 'NOT_FOUND');
    for (const p of ['/v2/', '/v2/nothing/here']) {
      const old = await fetch(srv.url + p, { headers: { 'User-Agent': 'docker/1.5.0 go/go1.4.1 git-commit/a8a31ef os/linux arch/amd64' } });
      assert.equal(old.status, 404);
      assert.equal(old.headers.get('docker-distribution-api-version'), null, 'Docker 1.5 would try its incompatible V2 draft');
    }
  });

  it('a RegistryError on a V2 route renders its code, status and detail', async () => {
    const res = await fetch(`${srv.url}/v2/test-error`);
    assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: 'sha256:00' } }] });
  });

  it('a wrong method is a 405 with Allow', async () => {
    const res = await fetch(`${srv.url}/_ping`, { method: 'POST' });
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow') ?? '', /GET/);
    assert.deepEqual(await res.json(), { error: 'Method not allowed' });
  });

  it('a method no route knows (PROPFIND, TRACE) is a 405 with Allow where the path exists and a 404 elsewhere, in the family’s envelope, not a 501', async () => {
    const call = (method: string, p: string) =>
      new Promise<{ status: number; allow: string | undefined; body: string }>((resolve, reject) => {
        const req = http.request(srv.url + p, { method, headers: { 'User-Agent': 'containerd/v2.1.1' } }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const method of ['PROPFIND', 'TRACE', 'COPY']) {
      const v1 = await call(method, '/v1/_ping');
      assert.equal(v1.status, 405, `${method} /v1/_ping`);
      assert.match(v1.allow ?? '', /GET/);
      assert.deepEqual(JSON.parse(v1.body), { error: 'Method not allowed' });
      const v2 = await call(method, '/v2/_catalog');
      assert.equal(v2.status, 405, `${method} /v2/_catalog`);
      assert.equal((JSON.parse(v2.body) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNSUPPORTED');
      const nowhere = await call(method, '/v1/nothing/here');
      assert.equal(nowhere.status, 404, `${method} /v1/nothing/here`);
      assert.deepEqual(JSON.parse(nowhere.body), { error: 'Not found' });
    }
  });

  it('a 204 never carries a body, even on a keep-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const get = (p: string) =>
      new Promise<{ status: number; body: string; length: string | undefined }>((resolve, reject) => {
        http
          .get(srv.url + p, { agent }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, length: res.headers['content-length'] }));
          })
          .on('error', reject);
      });
    const first = await get('/v1/no-content');
    assert.equal(first.status, 204);
    assert.equal(first.body, '');
    const second = await get('/v1/_ping'); // same socket: would be garbled if the 204 had leaked bytes
    assert.equal(second.status, 200);
    assert.equal(second.body, '{}');
    agent.destroy();
  });

  it('returns a generated X-Request-Id, and honours a sane incoming one', async () => {
    const generated = (await fetch(`${srv.url}/_ping`)).headers.get('x-request-id');
    assert.match(generated ?? '', /^[0-9a-f-]{36}$/);
    const honoured = await fetch(`${srv.url}/_ping`, { headers: { 'X-Request-Id': 'proxy-abc-123' } });
    assert.equal(honoured.headers.get('x-request-id'), 'proxy-abc-123');
    const replaced = await fetch(`${srv.url}/_ping`, { headers: { 'X-Request-Id': 'bad id with spaces' } });
    assert.notEqual(replaced.headers.get('x-request-id'), 'bad id with spaces');
  });

  it('/_status does a storage round-trip and leaves nothing behind', async () => {
    const res = await fetch(`${srv.url}/_status`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { failures: object; services: string[] };
    assert.deepEqual(body.failures, {});
    assert.deepEqual(body.services, ['storage']);
    await assert.rejects(srv.deps.storage.list(''), /path not found/, 'the status probe key was removed');
  });

  it('/metrics exposes request counts by route template', async () => {
    await fetch(`${srv.url}/v1/_ping`);
    const text = await (await fetch(`${srv.url}/metrics`)).text();
    assert.match(text, /berth_http_requests_total\{method="GET",route="\/v1\/_ping",status="200"\} \d+/);
    assert.match(text, /berth_process_resident_memory_bytes/);
  });

  it('/healthz and /readyz', async () => {
    assert.equal((await fetch(`${srv.url}/healthz`)).status, 200);
    const ready = await fetch(`${srv.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { ready: boolean }).ready, true);
  });
});

describe('ping flavours', () => {
  /** A test config without testConfig's `standalone: true`, so the variant sets it. */
  const variant = (extra: string) => loadYaml(`test:\n  storage_path: ${tempDir()}\n  loglevel: error\n${extra}`, 'test').config;

  async function withServer(extra: string, check: (url: string) => Promise<void>) {
    const s = await startTestServer(variant(extra));
    try {
      await check(s.url);
    } finally {
      await s.stop();
    }
  }

  it('standalone: false says False', () =>
    withServer('  standalone: false\n', async (url) => {
      assert.equal((await fetch(`${url}/_ping`)).headers.get('x-docker-registry-standalone'), 'False');
    }));

  it('a mirror says mirror', () =>
    withServer('  standalone: true\n  mirroring: {source: "https://registry-1.docker.io"}\n', async (url) => {
      assert.equal((await fetch(`${url}/_ping`)).headers.get('x-docker-registry-standalone'), 'mirror');
    }));

  it('debug: true adds host, launch and versions to the ping body', () =>
    withServer('  debug: true\n', async (url) => {
      const body = (await (await fetch(`${url}/v1/_ping`)).json()) as { host: string[]; launch: string[]; versions: Record<string, string> };
      assert.ok(Array.isArray(body.host) && body.host.length >= 5);
      assert.ok(Array.isArray(body.launch));
      assert.equal(typeof body.versions.berth, 'string');
      assert.equal(typeof body.versions.node, 'string');
    }));

  it('GET / is `true` when issue is unset', () =>
    withServer('', async (url) => {
      assert.equal(await (await fetch(`${url}/`)).text(), 'true');
    }));
});

describe('CORS over HTTP (cors.origins set)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(testConfig("  search_backend: ''\n  cors:\n    origins: [https://ui.example]\n    max_age: 60\n"));
  });
  after(() => srv.stop());

  it('answers, errors included, carry the CORS headers for an allowed origin, with Vary: Origin', async () => {
    for (const p of ['/v1/_ping', '/v1/images/nothing/json', '/v2/']) {
      const res = await fetch(srv.url + p, { headers: { Origin: 'https://ui.example' } });
      assert.equal(res.headers.get('access-control-allow-origin'), 'https://ui.example', p);
      assert.match(res.headers.get('vary') ?? '', /Origin/, p);
    }
    const other = await fetch(`${srv.url}/v1/_ping`, { headers: { Origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.match(other.headers.get('vary') ?? '', /Origin/, 'a refused origin varies too');
  });

  it('a preflight is a 200 with the allowed methods and max age', async () => {
    const res = await fetch(`${srv.url}/v1/_ping`, { method: 'OPTIONS', headers: { Origin: 'https://ui.example', 'Access-Control-Request-Method': 'GET' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-max-age'), '60');
    assert.equal(res.headers.get('access-control-allow-methods'), 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT');
  });
});
