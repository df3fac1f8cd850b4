/**
 * `nginx_x_accel_redirect` with the shipped nginx example's `/_berth_files/` location commented
 * in: Berth authorizes a blob GET and names the file, a real nginx sends it (ranges too), and
 * the location cannot be asked for directly.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadYaml, tempDir } from '../support/config.js';
import { htpasswdLine } from '../support/htpasswd.js';
import { startExampleNginx } from '../support/nginx-example.js';
import { basicAuth, type RegistryConnection, registryConnection } from '../support/registry-connection.js';
import { startTestServer, type TestServer } from '../support/server.js';
import type { NginxService } from '../support/services.js';
import { makeTls } from '../support/smtp.js';

describe('nginx sends V2 blobs itself (nginx_x_accel_redirect, the example’s /_berth_files/)', function () {
  this.timeout(60_000);
  let berth: TestServer;
  let nginx: NginxService | null;
  let conn: RegistryConnection;
  const basic = basicAuth('alice', 'alice-pw');
  const blob = randomBytes(3 * 1024 * 1024 + 17);
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;

  before(async function () {
    const storage = tempDir();
    chmodSync(storage, 0o755); // nginx's workers (nobody) read the files
    berth = await startTestServer(
      loadYaml(`t:\n  storage_path: ${storage}\n  standalone: true\n  loglevel: error\n  nginx_x_accel_redirect: /_berth_files/\n`, 't').config,
    );
    const tls = makeTls();
    const htpasswd = path.join(tempDir('berth-nginx-site-'), 'htpasswd');
    writeFileSync(htpasswd, `${htpasswdLine('bcrypt', 'alice', 'alice-pw', ['-C', '5'])}\n`);
    nginx = await startExampleNginx(berth.url, tls, htpasswd, 'nginx', storage);
    if (!nginx) return this.skip();
    conn = registryConnection(`https://127.0.0.1:${nginx.port}`, tls.cert);
    const post = await conn.send('POST', '/v2/x/y/blobs/uploads/', { headers: basic });
    assert.equal(post.status, 202);
    const put = await conn.send('PUT', `${post.headers.location}${post.headers.location?.includes('?') ? '&' : '?'}digest=${digest}`, {
      headers: { ...basic, 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    assert.equal(put.status, 201);
  });
  after(async () => {
    conn?.close();
    await nginx?.stop();
    await berth?.stop();
  });

  it('a blob GET is answered with the file, sent by nginx, with Berth’s headers', async () => {
    const res = await conn.send('GET', `/v2/x/y/blobs/${digest}`, { headers: basic });
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(blob));
    assert.equal(res.headers['docker-content-digest'], digest);
    assert.equal(res.headers.etag, `"${digest}"`);
    assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.equal(res.headers['x-accel-redirect'], undefined, 'nginx consumes the header');
  });

  it('ranges are served by nginx', async () => {
    const res = await conn.send('GET', `/v2/x/y/blobs/${digest}`, { headers: { ...basic, Range: 'bytes=1048576-1048675' } });
    assert.equal(res.status, 206);
    assert.ok(res.body.equals(blob.subarray(1048576, 1048676)));
  });

  it('the files location cannot be asked for directly, and an unauthenticated GET gets no bytes', async () => {
    const hex = digest.slice(7);
    const direct = await conn.send('GET', `/_berth_files/docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`, { headers: basic });
    assert.equal(direct.status, 404);
    const anonymous = await conn.send('GET', `/v2/x/y/blobs/${digest}`);
    assert.equal(anonymous.status, 401);
  });
});
