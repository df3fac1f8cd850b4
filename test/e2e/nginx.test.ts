/**
 * The shipped nginx example (contrib/nginx/berth.conf), run by a real nginx in front of Berth
 * with only its marked values changed: TLS, basic auth, and the User-Agent rule that keeps
 * Docker 1.3–1.5 on V1.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type NginxService, startNginx } from '../support/services.js';
import { makeTls, type Tls } from '../support/smtp.js';

const EXAMPLE = path.join(INSTALL_DIR, 'contrib/nginx/berth.conf');

/** The example with each CHANGE value replaced; every replacement must hit exactly once. */
function adapt(example: string, values: Array<[string, string]>): string {
  let text = example;
  for (const [from, to] of values) {
    const hits = text.split(from).length - 1;
    assert.ok(hits >= 1, `the example no longer contains ${from}`);
    text = text.split(from).join(to);
  }
  return text;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, tls: Tls, p: string, headers: Record<string, string>): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, method: 'GET', ca: tls.cert, servername: 'localhost', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the shipped nginx example in front of Berth', function () {
  this.timeout(60_000);
  let berth: TestServer;
  let nginx: NginxService | null;
  let tls: Tls;
  const basic = { Authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}` };

  before(async function () {
    berth = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n`, 't').config);
    tls = makeTls();
    const dir = tempDir('berth-nginx-site-');
    const htpasswd = path.join(dir, 'htpasswd');
    const keyFile = path.join(path.dirname(tls.certFile), 'key.pem');
    const example = readFileSync(EXAMPLE, 'utf8');
    nginx = await startNginx((port) =>
      adapt(example, [
        ['server 127.0.0.1:5000;', `server 127.0.0.1:${new URL(berth.url).port};`],
        ['listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`],
        ['/etc/berth/tls/registry.crt', tls.certFile],
        ['/etc/berth/tls/registry.key', keyFile],
        ['/etc/berth/htpasswd', htpasswd],
      ]),
    );
    if (!nginx) return this.skip();
    execFileSync('htpasswd', ['-B', '-C', '5', '-b', '-c', htpasswd, 'alice', 'alice-pw'], { stdio: 'ignore' });
    // nginx workers run as `nobody` when the master is root: they read the password file on each request.
    chmodSync(dir, 0o755);
    chmodSync(htpasswd, 0o644);
  });
  after(async () => {
    await nginx?.stop();
    await berth?.stop();
  });

  it('Docker 1.3–1.5 (the Go 1.1 probe, docker/1.x agents) get a 404 on /v2/ without the V2 header, before any password is asked', async () => {
    for (const agent of ['Go 1.1 package http', 'docker/1.5.0 go/go1.4.1 git-commit/a8a31ef os/linux arch/amd64', 'docker/1.3.2 go/go1.3.3']) {
      for (const headers of [{}, basic]) {
        const res = await get(nginx?.port ?? 0, tls, '/v2/', { 'User-Agent': agent, ...headers });
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
      const challenge = await get(nginx?.port ?? 0, tls, '/v2/', { 'User-Agent': agent });
      assert.equal(challenge.status, 401, agent);
      assert.equal(challenge.headers['www-authenticate'], 'Basic realm="Berth Registry"', agent);
      assert.equal(challenge.headers['docker-distribution-api-version'], 'registry/2.0', `${agent}: Docker 1.6–1.10 read the 401 too`);
      const ok = await get(nginx?.port ?? 0, tls, '/v2/', { 'User-Agent': agent, ...basic });
      assert.equal(ok.status, 200, agent);
      assert.equal(ok.headers['docker-distribution-api-version'], 'registry/2.0', agent);
    }
  });

  it('the V1 ping is open (Docker pings before it logs in); the rest asks for a password', async () => {
    const ping = await get(nginx?.port ?? 0, tls, '/v1/_ping', { 'User-Agent': 'docker/1.5.0 go/go1.4.1' });
    assert.equal(ping.status, 200);
    assert.ok(ping.headers['x-docker-registry-version']);
    assert.equal((await get(nginx?.port ?? 0, tls, '/v1/repositories/ns/app/tags', {})).status, 401);
    assert.equal((await get(nginx?.port ?? 0, tls, '/v1/repositories/ns/app/tags', basic)).status, 404);
  });
});
