/**
 * Bad input in V1 requests, over real HTTP with the request line sent verbatim (fetch would
 * normalise `%2e%2e` away): repository names storage cannot hold are a 400 at the edge, not a
 * 500 and an exception mail; a name cannot add fields to `X-Docker-Token`; a made-up Host
 * header does not reach `X-Docker-Endpoints`. Stored data is the same afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { V1 } from '../../lib/errors/catalog.js';
import { parseToken } from '../../lib/services/v1/tokens.js';
import { testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with the path and headers exactly as given (Host too, when given). */
function raw(base: string, method: string, p: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, method, path: p, headers, setHost: !('Host' in headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Every file under the storage root with its content: what "stored data intact" compares. */
function snapshot(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(root, file)] = readFileSync(file, 'base64');
  }
  return files;
}

const UA = 'docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64';
const ID = 'c'.repeat(64);
const JSON_BODY = JSON.stringify({ id: ID });
const LAYER = 'layer bytes';

describe('V1 bad input: 4xx, not 500, and nothing stored or mailed', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let sink: SmtpSink;
  let storage: string;
  const logLines: Array<{ msg?: string; path?: string; level?: number }> = [];
  const call = (method: string, p: string, headers: Record<string, string> = {}, body?: string) =>
    raw(srv.url, method, p, { 'User-Agent': UA, ...headers }, body);

  before(async () => {
    sink = await startSmtpSink();
    storage = path.join((await import('node:os')).tmpdir(), `berth-bad-input-${process.pid}-${Date.now()}`);
    const config = testConfig(
      `  email_exceptions:\n    smtp_host: 127.0.0.1\n    smtp_port: ${sink.port}\n    from_addr: registry@example.test\n    to_addr: ops@example.test\n`,
      {},
      storage,
    );
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
          done();
        },
      }),
    );
    srv = await startTestServer(config, {
      log,
      extend: (app) =>
        app.use(async (ctx, next) => {
          if (ctx.path === '/v1/boom') throw new Error('a real failure, for comparison');
          await next();
        }),
    });
    // A pushed image, tagged in ns/repo, with an index image list: what must survive.
    assert.equal((await call('PUT', `/v1/images/${ID}/json`, {}, JSON_BODY)).status, 200);
    assert.equal((await call('PUT', `/v1/images/${ID}/layer`, {}, LAYER)).status, 200);
    const payload = `sha256:${createHash('sha256').update(JSON_BODY).update('\n').update(LAYER).digest('hex')}`;
    assert.equal((await call('PUT', `/v1/images/${ID}/checksum`, { 'X-Docker-Checksum-Payload': payload })).status, 200);
    assert.equal((await call('PUT', '/v1/repositories/ns/repo/tags/latest', {}, JSON.stringify(ID))).status, 200);
    assert.equal((await call('PUT', '/v1/repositories/ns/repo/images', {}, JSON.stringify([{ id: ID }]))).status, 204);
    await srv.services.bridge?.idle(); // the V2 view of the push is written in the background
  });
  after(async () => {
    await srv?.stop();
    await sink?.close();
  });

  // The examples of the issue, verbatim (<300 × a> spelled out), then more of the same kinds.
  const cases: Array<[method: string, path: string, body?: string, headers?: Record<string, string>]> = [
    ['DELETE', '/v1/repositories/%2e%2e/tags'],
    ['GET', '/v1/repositories/%2e/tags'],
    ['DELETE', '/v1/repositories///auth'],
    ['PUT', `/v1/repositories/x/${'a'.repeat(300)}/properties`, '{"access": "private"}'],
    ['PUT', '/v1/repositories/a%0d%0ab/images', '[]'],
    ['PUT', '/v1/repositories/ns/a%22,access=write,x=%22/images', '[]', { 'X-Docker-Token': 'true' }],
    ['GET', '/v1/repositories/%2e%2e/repo/tags'],
    ['GET', '/v1/repositories/ns/%2e%2e/tags/latest'],
    ['PUT', '/v1/repositories/ns//repo/tags/latest', JSON.stringify(ID)],
    ['PUT', '/v1/repositories/a%5cb/repo/tags/latest', JSON.stringify(ID)],
    ['GET', '/v1/repositories/ns/a%00b/json'],
    ['DELETE', '/v1/repositories/ns/a%0ab/'],
    ['PUT', `/v1/repositories/ns/${'%C3%BC'.repeat(60)}/tags/latest`, JSON.stringify(ID)],
    ['PUT', `/v1/repositories/${'n'.repeat(256)}/repo`, '[]'],
  ];

  it('refuses each bad repository name with 400 and the V1 error, writes nothing and mails nothing', async () => {
    const before = snapshot(storage);
    for (const [method, p, body, headers] of cases) {
      const res = await call(method, p, { 'Content-Type': 'application/json', ...headers }, body);
      const label = `${method} ${p.slice(0, 80)}`;
      assert.equal(res.status, 400, `${label}: ${res.body}`);
      assert.deepEqual(JSON.parse(res.body), { error: V1.INVALID_REPOSITORY_NAME.message }, label);
      assert.equal(res.headers['x-docker-token'], undefined, label);
    }
    assert.deepEqual(snapshot(storage), before, 'stored data intact');
    const tags = await call('GET', '/v1/repositories/ns/repo/tags');
    assert.deepEqual(JSON.parse(tags.body), { latest: ID });

    // A real failure for comparison: it alone is mailed and logged as unexpected.
    assert.equal((await call('GET', '/v1/boom')).status, 500);
    await sink.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(sink.mails.length, 1, sink.mails.map((m) => m.text.split('\n')[0]).join('; '));
    assert.match(sink.mails[0]?.text ?? '', /^Exception on \/v1\/boom \[GET\]/);
    assert.deepEqual(
      logLines.filter((l) => l.msg === 'unexpected error').map((l) => l.path),
      ['/v1/boom'],
    );
  });

  it('accepts the names real clients and upstream tests use', async () => {
    // docker-registry tests/test_tags.py test_special_chars: `<random>%$_-test`, sent raw.
    for (const name of ['foo/xxxxx%$_-test', 'ns/my+repo', 'ns/with.dots-and_under', 'a/b/c', 'ubuntu', 'ns/%C3%BC']) {
      const put = await call('PUT', `/v1/repositories/${name}/tags/latest`, {}, JSON.stringify(ID));
      assert.equal(put.status, 200, `${name}: ${put.body}`);
      const got = await call('GET', `/v1/repositories/${name}/tags/latest`);
      assert.equal(got.status, 200, name);
      assert.equal(JSON.parse(got.body), ID, name);
    }
  });

  it('a tag storage cannot hold, in a repository of the pre-0.8.1 layout, is 404 (the storage refusal is not a 500)', async () => {
    // `ns/my+repo` stored by a registry before 0.8.1: the name quoted once, the tag not at all.
    await srv.deps.storage.putContent('repositories/ns/my%2Bold/tag_v2', ID);
    assert.equal(JSON.parse((await call('GET', '/v1/repositories/ns/my+old/tags/v2')).body), ID);
    const logged = logLines.length;
    const res = await call('GET', '/v1/repositories/ns/my+old/tags/a%01b');
    assert.equal(res.status, 404, res.body);
    assert.deepEqual(JSON.parse(res.body), { error: 'Not found' });
    const lines = logLines.slice(logged);
    assert.ok(!lines.some((l) => l.msg === 'unexpected error'));
    assert.ok(lines.some((l) => l.msg === 'storage refused a key built from the request'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(sink.mails.length, 1, 'only the /v1/boom mail of the first test');
  });
});

describe('V1 index headers carry no request value unquoted', () => {
  let srv: TestServer;
  const endpoint = () => new URL(srv.url).host;
  const putImages = (name: string, headers: Record<string, string> = {}) =>
    raw(srv.url, 'PUT', `/v1/repositories/${name}/images`, { 'Content-Type': 'application/json', 'X-Docker-Token': 'true', ...headers }, '[]');
  before(async () => {
    srv = await startTestServer(testConfig());
  });
  after(() => srv.stop());

  it('the token names the repository quote_plus-ed, as docker-registry did, so no name adds or breaks a field', async () => {
    for (const [name, repository] of [
      ['ns/repo', 'ns/repo'],
      ['a/b/c', 'a/b%2Fc'],
      ['ns/my+repo', 'ns/my%2Brepo'],
      ['ns/a,access=write', 'ns/a%2Caccess%3Dwrite'],
      ['ns/%C3%BC', 'ns/%C3%BC'],
    ] as const) {
      const res = await putImages(name);
      assert.equal(res.status, 204, name);
      const token = String(res.headers['x-docker-token']);
      assert.equal(res.headers['www-authenticate'], token);
      assert.match(token, /^Token signature=[A-Z0-9]{16},repository="[^",\\]*",access=write$/, name);
      // docker-registry's own token regex reads back exactly three fields.
      assert.deepEqual(parseToken(token), { repository, access: 'write', raw: token }, name);
    }
  });

  it('X-Docker-Endpoints echoes a well-formed Host and otherwise names the address the client connected to', async () => {
    for (const host of ['registry.example.com', 'registry.example.com:5000', 'reg_1:5000', '10.0.0.7:443', '[::1]:5000', '[2001:db8::1]']) {
      assert.equal((await putImages('ns/repo', { Host: host })).headers['x-docker-endpoints'], host, host);
    }
    for (const host of ['evil",x', 'a b', 'evil.com/path', 'host:0', 'host:65536', 'host:', '[nope]:80', 'a..b', '-lead.example']) {
      assert.equal((await putImages('ns/repo', { Host: host })).headers['x-docker-endpoints'], endpoint(), host);
    }
  });

  it('registry_endpoints, when set, wins over any Host', async () => {
    const configured = await startTestServer(testConfig('  registry_endpoints: registry.internal:5000\n'));
    try {
      const res = await raw(configured.url, 'PUT', '/v1/repositories/ns/repo/images', { 'X-Docker-Token': 'true', Host: 'evil",x' }, '[]');
      assert.equal(res.headers['x-docker-endpoints'], 'registry.internal:5000');
    } finally {
      await configured.stop();
    }
  });
});
