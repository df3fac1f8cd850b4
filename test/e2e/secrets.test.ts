/**
 * No configured secret shows, whatever its key is called: not in the banner, the logs (at
 * debug level), /metrics, /_status, error bodies and headers, exception mails, or the output of
 * `--check-config` (with and without `--connect`). Every secret-bearing key of the schema gets a
 * distinctive value (one through `_env:`, one through OS_PASSWORD), and so do keys the schema
 * does not know but that are named like secrets (`my_api_token`, `foo_password`, a misspelt
 * `smtp_pasword`, an extension's `password`), a password in a URL's userinfo, and the htpasswd
 * file (its hashes, and the passwords clients send). The server runs as `node dist`, on S3 and
 * on Glance whose fakes refuse everything and echo what they were sent into their error
 * messages, so that every storage operation fails the way a misconfigured store does.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadConfig } from '../../lib/config/load.js';
import { configSchema } from '../../lib/config/schema.js';
import { isSecret, type Shape, shapeOf } from '../../lib/config/schema-tree.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir } from '../support/config.js';
import { htpasswdLine } from '../support/htpasswd.js';
import { spawnBerth } from '../support/process.js';
import { freePort } from '../support/services.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';

/** Distinctive values: each is looked for, verbatim, in everything the server says. */
const SECRET = {
  secret_key: 'Sx1-secret-key-4c1f9a',
  s3_secret_key: 'Sx2-s3-secret-b7e2d0',
  boto_proxy_pass: 'Sx3-boto-proxy-pass-91aa3c',
  cloudfront_keysecret: 'Sx4-cloudfront-keysecret-5d0e',
  os_password: 'Sx5-os-password-e3f810',
  os_password_env: 'Sx6-os-password-env-0c2d7b',
  smtp_password: 'Sx7-smtp-password-a84f1e',
  cache_password: 'Sx8-redis-cache-password-6b3c',
  cache_lru_password: 'Sx9-redis-lru-password-f02a',
  bugsnag: 'Sx10-bugsnag-api-key-77d1',
  my_api_token: 'Sx11-my-api-token-2e9b',
  foo_password: 'Sx12-foo-password-d4c0',
  smtp_pasword: 'Sx13-misspelt-smtp-5a6b',
  extension_password: 'Sx14-extension-password-8f7e',
  extension_token: 'Sx15-extension-token-13ac',
  mirror_url_password: 'Sx16-mirror-url-password-c9d2',
  alice_password: 'Sx17-alice-password-0b4e',
  mirror_password: 'Sx18-mirror-upstream-password-7e1f',
} as const;

/** The schema's secret fields, dotted, and which SECRET value the test config gives each. */
const SECRET_KEYS: Record<string, keyof typeof SECRET> = {
  secret_key: 'secret_key',
  s3_secret_key: 's3_secret_key',
  boto_proxy_pass: 'boto_proxy_pass',
  'cloudfront.keysecret': 'cloudfront_keysecret',
  os_password: 'os_password',
  'email_exceptions.smtp_password': 'smtp_password',
  'cache.password': 'cache_password',
  'cache_lru.password': 'cache_lru_password',
  bugsnag: 'bugsnag',
  'mirroring.password': 'mirror_password',
};

function secretKeysOf(shape: Shape, prefix = ''): string[] {
  return Object.entries(shape).flatMap(([key, schema]) => {
    if (isSecret(schema)) return [`${prefix}${key}`];
    const children = shapeOf(schema);
    return children ? secretKeysOf(children, `${prefix}${key}.`) : [];
  });
}

interface Upstream {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/**
 * S3, Keystone and Glance in one: every request refused, and its headers and body echoed into
 * the error it gets, so a secret that went out in a request comes back in an error message.
 */
async function refusingUpstream(): Promise<Upstream> {
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const echo = `${req.method} ${req.url} ${JSON.stringify(req.headers)} ${Buffer.concat(chunks).toString('utf8').slice(0, 2000)}`;
      if (req.url?.includes('/auth/tokens')) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: `refused: ${echo}` } }));
        return;
      }
      if (req.url?.startsWith('/v2/images') || req.url?.startsWith('/v2/schemas')) {
        res.writeHead(401, { 'Content-Type': 'text/plain' });
        res.end(`refused: ${echo}`);
        return;
      }
      const xml = echo.replace(/&/g, '&amp;').replace(/</g, '&lt;');
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>refused: ${xml}</Message><RequestId>1</RequestId></Error>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Seen {
  /** everything the server said, to be searched */
  text: string[];
  statuses: number[];
}

async function collect(seen: Seen, base: string, method: string, p: string, headers: Record<string, string> = {}, body?: string): Promise<number> {
  const res = await fetch(base + p, { method, headers: { 'User-Agent': 'docker/1.3.0 go/go1.3.3', ...headers }, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  seen.text.push(`${method} ${p} → ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  seen.statuses.push(res.status);
  return res.status;
}

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/** Every secret, and the forms it would take in a header or a URL, that occurs in `text`. */
function leaks(text: string, extra: Record<string, string> = {}): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries({ ...SECRET, ...extra })) {
    for (const form of new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')])) {
      if (text.includes(form)) found.push(`${name} (${form === value ? 'as is' : form})`);
    }
  }
  return found;
}

describe('secrets never show', function () {
  this.timeout(120_000);
  let sink: SmtpSink;
  let upstream: Upstream;
  let dir: string;
  let hashes: Record<string, string>;
  let env: Record<string, string>;

  before(async () => {
    sink = await startSmtpSink({ user: 'mailer', pass: SECRET.smtp_password, allowInsecureAuth: true });
    upstream = await refusingUpstream();
    dir = tempDir('berth-secrets-');
    const alice = htpasswdLine('bcrypt', 'alice', SECRET.alice_password);
    const bob = htpasswdLine('apr1', 'bob', 'bob-pw');
    // The hashes are secrets of their own: a hash is a password to crack offline.
    hashes = { alice_hash: alice.slice(alice.indexOf(':') + 1), bob_hash: bob.slice(bob.indexOf(':') + 1) };
    writeFileSync(path.join(dir, 'htpasswd'), `${alice}\n${bob}\n`);
    env = { BERTH_TEST_S3_SECRET: SECRET.s3_secret_key, OS_PASSWORD: SECRET.os_password_env };
  });
  after(async () => {
    await sink?.close();
    await upstream?.close();
  });

  /** The config of a flavor on `storage` (lines indented two spaces), with a secret in every secret-bearing key. */
  async function config(storage: string): Promise<string> {
    const closed = await freePort(); // nothing listens: the Redis caches fail on every use
    const yaml = `sec:
  loglevel: debug
  debug: true
  standalone: true
${storage}
  secret_key: ${SECRET.secret_key}
  s3_access_key: AKIAIOSFODNN7EXAMPLE
  s3_secret_key: _env:BERTH_TEST_S3_SECRET
  boto_proxy_user: proxyuser
  boto_proxy_pass: ${SECRET.boto_proxy_pass}
  cloudfront:
    base: https://cdn.example.test
    keyid: KID
    keysecret: ${SECRET.cloudfront_keysecret}
  bugsnag: ${SECRET.bugsnag}
  mirroring:
    source: https://mirror:${SECRET.mirror_url_password}@127.0.0.1:${closed}
    username: mirroruser
    password: ${SECRET.mirror_password}
  email_exceptions:
    smtp_host: 127.0.0.1
    smtp_port: ${sink.port}
    smtp_login: mailer
    smtp_password: ${SECRET.smtp_password}
    smtp_pasword: ${SECRET.smtp_pasword}
    smtp_secure: false
    throttle_seconds: 0
    from_addr: registry@example.test
    to_addr: ops@example.test
  cache:
    host: 127.0.0.1
    port: ${closed}
    password: ${SECRET.cache_password}
  cache_lru:
    host: 127.0.0.1
    port: ${closed}
    password: ${SECRET.cache_lru_password}
  auth:
    htpasswd:
      path: ${path.join(dir, 'htpasswd')}
  my_api_token: ${SECRET.my_api_token}
  foo_password: ${SECRET.foo_password}
  extensions:
    plugin:
      password: ${SECRET.extension_password}
      token: ${SECRET.extension_token}
`;
    const file = path.join(tempDir('berth-secrets-config-'), 'config.yml');
    writeFileSync(file, yaml);
    // Every secret field holds one of the values looked for.
    const { config: loaded } = loadConfig({ env: { ...env, DOCKER_REGISTRY_CONFIG: file, SETTINGS_FLAVOR: 'sec' }, cwd: dir, installDir: INSTALL_DIR });
    for (const key of Object.keys(SECRET_KEYS)) {
      const value = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], loaded);
      assert.ok((Object.values(SECRET) as unknown[]).includes(value), `${key} = ${String(value)}`);
    }
    return file;
  }

  const S3 = () => `  storage: s3\n  boto_bucket: bucket\n  boto_host: 127.0.0.1\n  boto_port: ${new URL(upstream.url).port}\n`;
  const GLANCE = () =>
    `  storage: glance\n  glance_url: ${upstream.url}\n  storage_alternate: s3\n  boto_bucket: bucket\n  boto_host: 127.0.0.1\n  boto_port: ${new URL(upstream.url).port}\n  os_auth_url: ${upstream.url}/v3\n  os_username: registry\n  os_password: ${SECRET.os_password}\n  os_tenant_name: services\n`;

  it('the config below has a value in every secret field of the schema (a new one is tested once it is listed here)', () => {
    assert.deepEqual(secretKeysOf(configSchema.shape).sort(), Object.keys(SECRET_KEYS).sort());
  });

  for (const [label, storage] of [
    ['S3', S3],
    ['Glance with Keystone', GLANCE],
  ] as const) {
    it(`node dist on ${label} that refuses everything: not in the banner, logs, /metrics, /_status, answers or mails`, async () => {
      const file = await config(storage());
      const b = spawnBerth({ ...env, DOCKER_REGISTRY_CONFIG: file, SETTINGS_FLAVOR: 'sec' });
      const url = await b.ready();
      const seen: Seen = { text: [], statuses: [] };
      const alice = basic('alice', SECRET.alice_password);
      const V2 = { 'User-Agent': 'containerd/v2.1.1' };
      const requests: Array<[string, string, Record<string, string>, string?]> = [
        ['GET', '/_ping', {}],
        ['GET', '/v1/_ping', {}],
        ['GET', '/', alice],
        ['GET', '/v2/', { ...V2, ...alice }],
        ['GET', '/v2/', { ...V2, ...basic('alice', 'wrong') }],
        ['GET', '/v2/', { ...V2, ...basic('alice', SECRET.alice_password.slice(0, -1)) }],
        ['GET', '/v1/users/', basic('bob', 'nope')],
        ['GET', '/_status', alice],
        ['GET', '/readyz', {}],
        ['GET', '/metrics', alice],
        // Storage operations that fail (a 500 each, and a mail): V1 and V2, reads and writes.
        ['GET', `/v1/images/${'a'.repeat(64)}/json`, alice],
        ['PUT', `/v1/images/${'a'.repeat(64)}/json`, { ...alice, 'Content-Type': 'application/json' }, JSON.stringify({ id: 'a'.repeat(64) })],
        ['PUT', '/v1/repositories/ns/app/', { ...alice, 'X-Docker-Token': 'true' }, '[]'],
        ['GET', '/v1/repositories/ns/app/tags', alice],
        ['GET', '/v1/search?q=app', alice],
        ['GET', '/v2/ns/app/manifests/latest', { ...V2, ...alice }],
        ['POST', `/v2/ns/app/blobs/uploads/?digest=sha256:${'0'.repeat(64)}`, { ...V2, ...alice }, 'data'],
        ['GET', '/v2/_catalog', { ...V2, ...alice }],
        // Refusals.
        ['GET', '/v2/ns/app/manifests/..', { ...V2, ...alice }],
        ['PUT', '/v1/repositories/ns/app/tags/-bad', alice, '"x"'],
        ['GET', '/v1/images/nothex/json', { Authorization: 'Token signature=forged,repository="ns/app",access=read' }],
        ['GET', '/metrics', {}],
      ];
      for (const [method, p, headers, body] of requests) await collect(seen, url, method, p, headers, body);
      assert.ok(seen.statuses.includes(500), `a storage operation failed (statuses: ${seen.statuses.join(' ')})`);
      assert.ok(upstream.requests > 0, 'the refusing upstream was asked');
      const mails = await sink.waitFor(1);
      seen.text.push(...mails.map((m) => `${m.subject}\n${m.text}`));
      b.kill('SIGTERM');
      await b.exited;
      seen.text.push(b.stdout(), b.stderr());
      assert.match(b.stdout(), /listening on/, 'the banner is among what was searched');
      assert.match(b.stdout(), /"msg":"request"/, 'so are the access lines');
      const all = seen.text.join('\n');
      assert.deepEqual(leaks(all, hashes), []);
    });

    it(`--check-config on ${label}, with and without --connect: not in the output`, async () => {
      const file = await config(storage());
      for (const args of [['--check-config'], ['--check-config', '--connect']]) {
        const b = spawnBerth({ ...env, DOCKER_REGISTRY_CONFIG: file, SETTINGS_FLAVOR: 'sec' }, args);
        const code = await b.exited;
        assert.ok(code === 0 || code === 69, `${args.join(' ')}: exit ${code}\n${b.stderr()}`);
        const out = `${b.stdout()}\n${b.stderr()}`;
        assert.match(out, /"secret_key": "\[redacted\]"/, 'the settings were printed');
        assert.deepEqual(leaks(out, hashes), [], args.join(' '));
      }
    });
  }

  it('a config error over a URL with a password names the key, not the password', async () => {
    const file = path.join(tempDir('berth-secrets-config-'), 'config.yml');
    writeFileSync(
      file,
      `sec:\n  storage_path: ${tempDir()}\n  search_backend: sqlalchemy\n  sqlalchemy_index_database: postgresql://registry:${SECRET.foo_password}@db.example.test/registry\n`,
    );
    for (const args of [['--check-config'], []]) {
      const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: file, SETTINGS_FLAVOR: 'sec' }, args);
      assert.equal(await b.exited, 78);
      assert.match(b.stderr(), /sec\.sqlalchemy_index_database/);
      assert.deepEqual(leaks(`${b.stdout()}\n${b.stderr()}`), [], args.join(' ') || 'node dist');
    }
  });
});
