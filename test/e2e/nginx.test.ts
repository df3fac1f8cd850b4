/**
 * The shipped nginx example (contrib/nginx/berth.conf), run by a real nginx in front of Berth
 * with only its marked values changed: TLS, basic auth, and the User-Agent rule that keeps
 * Docker 1.3–1.5 on V1.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadYaml, tempDir } from '../support/config.js';
import { htpasswdLine } from '../support/htpasswd.js';
import { startExampleNginx } from '../support/nginx-example.js';
import { basicAuth, type RegistryConnection, registryConnection } from '../support/registry-connection.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { NginxService } from '../support/services.js';
import { makeTls } from '../support/smtp.js';

describe('the shipped nginx example in front of Berth', function () {
  this.timeout(60_000);
  let berth: TestServer;
  let nginx: NginxService | null;
  let conn: RegistryConnection;
  const basic = basicAuth('alice', 'alice-pw');
  const get = (p: string, headers: Record<string, string>) => conn.send('GET', p, { headers });

  before(async function () {
    berth = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n`, 't').config);
    const tls = makeTls();
    const htpasswd = path.join(tempDir('berth-nginx-site-'), 'htpasswd');
    writeFileSync(htpasswd, `${htpasswdLine('bcrypt', 'alice', 'alice-pw', ['-C', '5'])}\n`);
    nginx = await startExampleNginx(berth.url, tls, htpasswd);
    if (!nginx) return this.skip();
    conn = registryConnection(`https://127.0.0.1:${nginx.port}`, tls.cert);
  });
  after(async () => {
    conn?.close();
    await nginx?.stop();
    await berth?.stop();
  });

  it('Docker 1.3–1.5 (the Go 1.1 probe, docker/1.x agents) get a 404 on /v2/ without the V2 header, before any password is asked', async () => {
    for (const agent of ['Go 1.1 package http', 'docker/1.5.0 go/go1.4.1 git-commit/a8a31ef os/linux arch/amd64', 'docker/1.3.2 go/go1.3.3']) {
      for (const headers of [{}, basic]) {
        const res = await get('/v2/', { 'User-Agent': agent, ...headers });
        assert.equal(res.status, 404, agent);
        assert.equal(res.headers['docker-distribution-api-version'], undefined, agent);
      }
    }
  });

  it('modern agents get the basic-auth challenge with the V2 header, then Berth’s V2 answer with one header', async () => {
    for (const agent of [
      'Go-http-client/1.1',
      'docker/1.10.3 go/go1.5.3 git-commit/20f81dd os/linux arch/amd64',
      'docker/1.5.0-dev go/go1.4.2',
      'containerd/v2.1.1',
    ]) {
      const challenge = await get('/v2/', { 'User-Agent': agent });
      assert.equal(challenge.status, 401, agent);
      assert.equal(challenge.headers['www-authenticate'], 'Basic realm="Berth Registry"', agent);
      assert.equal(challenge.headers['docker-distribution-api-version'], 'registry/2.0', `${agent}: Docker 1.6–1.10 read the 401 too`);
      const ok = await get('/v2/', { 'User-Agent': agent, ...basic });
      assert.equal(ok.status, 200, agent);
      assert.equal(ok.headers['docker-distribution-api-version'], 'registry/2.0', agent);
    }
  });

  it('the V1 ping is open (Docker pings before it logs in); the rest asks for a password', async () => {
    const ping = await get('/v1/_ping', { 'User-Agent': 'docker/1.5.0 go/go1.4.1' });
    assert.equal(ping.status, 200);
    assert.ok(ping.headers['x-docker-registry-version']);
    assert.equal((await get('/v1/repositories/ns/app/tags', {})).status, 401);
    assert.equal((await get('/v1/repositories/ns/app/tags', basic)).status, 404);
  });
});
