/**
 * Berth behind a token server (distribution's bearer-token mode, `auth.token`): the 401
 * challenge names the realm, service and scope; a token the server issued for the scope opens
 * the route; one that lacks the scope is 403 with `error="insufficient_scope"`; and skopeo,
 * a real client, follows the challenge by itself (it fetches the token with --creds).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadYaml, tempDir } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { writeLayout } from '../support/oci-layout.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { skopeoAvailable } from '../support/services.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';

const run = promisify(execFile);

describe('auth: a token server (auth.token, bearer tokens)', function () {
  this.timeout(120_000);
  let tokens: TokenServer;
  let srv: TestServer;

  before(async () => {
    tokens = await startTokenServer({
      users: { alice: 'alice-pw', bob: 'bob-pw' },
      grants: { alice: { 'repository:team/app': ['pull', 'push'] }, bob: { 'repository:team/app': ['pull'] } },
    });
    const { realm, service, issuer, bundleFile } = tokens;
    const yaml = `t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n  auth:\n    token:\n      realm: ${realm}\n      service: ${service}\n      issuer: ${issuer}\n      rootcertbundle: ${bundleFile}\n`;
    srv = await startTestServer(loadYaml(yaml, 't').config);
  });
  after(async () => {
    await srv?.stop();
    await tokens?.close();
  });

  const token = async (user: string, scope: string) => {
    const res = await fetch(`${tokens.realm}?service=${encodeURIComponent(tokens.service)}&scope=${encodeURIComponent(scope)}`, {
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${user}-pw`).toString('base64')}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { token: string }).token;
  };

  it('the challenge names the realm, the service and the scope the route needs', async () => {
    const v2 = await fetch(`${srv.url}/v2/`, { headers: { 'User-Agent': 'x' } });
    assert.equal(v2.status, 401);
    assert.equal(v2.headers.get('www-authenticate'), `Bearer realm="${tokens.realm}",service="${tokens.service}"`);
    const tags = await fetch(`${srv.url}/v2/team/app/tags/list`, { headers: { 'User-Agent': 'x' } });
    assert.equal(tags.status, 401);
    assert.equal(tags.headers.get('www-authenticate'), `Bearer realm="${tokens.realm}",service="${tokens.service}",scope="repository:team/app:pull"`);
    const push = await fetch(`${srv.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { 'User-Agent': 'x' } });
    assert.match(push.headers.get('www-authenticate') ?? '', /scope="repository:team\/app:pull,push"$/);
  });

  it('a token for the scope opens the route; a pull-only token pushing is 403 insufficient_scope; a forged one 401', async () => {
    const alice = await token('alice', 'repository:team/app:pull,push');
    const bob = await token('bob', 'repository:team/app:pull,push');
    const started = await fetch(`${srv.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { 'User-Agent': 'x', Authorization: `Bearer ${alice}` } });
    assert.equal(started.status, 202);
    const refused = await fetch(`${srv.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { 'User-Agent': 'x', Authorization: `Bearer ${bob}` } });
    assert.equal(refused.status, 403);
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
    const forged = `${alice.slice(0, -4)}AAAA`;
    assert.equal((await fetch(`${srv.url}/v2/team/app/tags/list`, { headers: { 'User-Agent': 'x', Authorization: `Bearer ${forged}` } })).status, 401);
    assert.equal((await fetch(`${srv.url}/v2/other/app/tags/list`, { headers: { 'User-Agent': 'x', Authorization: `Bearer ${alice}` } })).status, 403);
  });

  it('skopeo follows the challenge with --creds: push as alice, pull as bob, and bob cannot push', async function () {
    if (!skopeoAvailable()) return this.skip();
    const work = tempDir('berth-bearer-skopeo-');
    writeFileSync(path.join(work, 'auth.json'), '{}');
    const skopeo = (...args: string[]) =>
      run('skopeo', ['--insecure-policy', '--registries-conf', '/dev/null', ...args], {
        env: { ...process.env, REGISTRY_AUTH_FILE: path.join(work, 'auth.json'), HOME: work },
        timeout: 60_000,
      });
    const layout = path.join(work, 'layout');
    writeLayout(layout, (await gzipLayer({ 'hello.txt': 'through a token server\n' })).tar);
    const image = `docker://${new URL(srv.url).host}/team/app:v1`;
    await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'alice:alice-pw', `oci:${layout}:v1`, image);
    await skopeo('copy', '--src-tls-verify=false', '--src-creds', 'bob:bob-pw', image, `dir:${path.join(work, 'pulled')}`);
    await assert.rejects(skopeo('copy', '--dest-tls-verify=false', '--dest-creds', 'bob:bob-pw', `oci:${layout}:v1`, image.replace(':v1', ':v2')));
  });
});
