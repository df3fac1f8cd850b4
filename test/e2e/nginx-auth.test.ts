/**
 * A registry that asks for a password, driven by what Docker 1.x and skopeo send, in each way
 * an operator can set one up: nginx (contrib/nginx/berth.conf, TLS) checking the password in
 * front of Berth without auth; Berth's own auth with no proxy (plain HTTP, where Docker 1.x
 * sends Basic only on the index calls and the signed token after them); and the example's two
 * ways of combining nginx with Berth's own auth. Each is a real `node dist` (built first), a
 * real nginx and a real skopeo, and runs the same scenarios: the pings open, 401 without or
 * with wrong credentials, `docker login`, a V1 push and pull of a chain whose top layer is
 * 100 MiB sent chunked, a V2 push and pull with skopeo; where Berth checks passwords, its
 * failed-login slow-down whatever X-Forwarded-For a client sends; and where Berth's access
 * rules apply, 403 for a user without the right.
 *
 * The 100 MiB layer PUT is timed in each setup and printed at the end (not asserted: it
 * depends on the machine).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir, writeConfig } from '../support/config.js';
import { docker1Session } from '../support/docker1-session.js';
import { htpasswdLine } from '../support/htpasswd.js';
import { type LargeLayer, writeLargeLayer } from '../support/large-layer.js';
import { type PasswordCheck, startExampleNginx } from '../support/nginx-example.js';
import { layerTar, sha256, writeLayout } from '../support/oci-layout.js';
import { spawnBerth } from '../support/process.js';
import { basicAuth, type RegistryConnection, registryConnection } from '../support/registry-connection.js';
import { skopeoAvailable } from '../support/services.js';
import { makeTls, type Tls } from '../support/smtp.js';
import { v1Json } from '../support/v1-engine.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const REALM = 'Berth Registry';
const ALICE = ['alice', 'alice-pw'] as const;
const BOB = ['bob', 'bob-pw'] as const;
const CONTAINERD = { 'User-Agent': 'containerd/v2.1.1' };

interface Deployment {
  label: string;
  /** null: clients talk to Berth directly, over plain HTTP */
  nginx: PasswordCheck | null;
  /** Berth's own `auth:`: none, htpasswd, or htpasswd and the user nginx names */
  berthAuth: 'none' | 'htpasswd' | 'proxy-user';
}

const DEPLOYMENTS: Deployment[] = [
  { label: 'nginx checks the password (the example as shipped), Berth without auth', nginx: 'nginx', berthAuth: 'none' },
  { label: 'Berth checks the password itself, no proxy, plain HTTP', nginx: null, berthAuth: 'htpasswd' },
  { label: 'nginx passes Authorization through to Berth’s own auth', nginx: 'berth', berthAuth: 'htpasswd' },
  { label: 'nginx checks the password and names the user to Berth (auth.trust_proxy_user)', nginx: 'nginx-names-user', berthAuth: 'proxy-user' },
];

/** Berth's config: local storage; behind nginx trust_proxy; with auth, alice may push alice/*, bob only pull library/*. */
function berthYaml(d: Deployment, storage: string, htpasswd: string): string {
  const lines = ['e2e:', `  storage_path: ${storage}`, '  standalone: true', '  loglevel: error'];
  if (d.nginx) lines.push('  trust_proxy: true');
  if (d.berthAuth !== 'none') {
    lines.push(
      '  secret_key: e2e-secret-key-0123456789abcdef0123456789abcdef',
      '  auth:',
      `    htpasswd: {path: ${htpasswd}, realm: ${REALM}}`,
      '    access:',
      '      - {users: [alice], repositories: ["alice/*", "library/*"], actions: [pull, push, delete]}',
      '      - {users: [bob], repositories: ["library/*"], actions: [pull]}',
    );
    if (d.berthAuth === 'proxy-user') lines.push('    trust_proxy_user: X-Remote-User');
  }
  return `${lines.join('\n')}\n`;
}

/** A real `node dist` with `yaml`; stop() waits for it to exit (SIGKILL after 10 s). */
async function startBerth(yaml: string): Promise<{ url: string; stop(): Promise<void> }> {
  const berth = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig(yaml), SETTINGS_FLAVOR: 'e2e' });
  const url = await berth.ready();
  return {
    url,
    async stop() {
      if (berth.proc.exitCode !== null || berth.proc.signalCode !== null) return;
      berth.kill('SIGTERM');
      const killer = setTimeout(() => berth.kill('SIGKILL'), 10_000);
      await berth.exited;
      clearTimeout(killer);
    },
  };
}

/** The throughput of each 100 MiB push, printed once every setup has run. */
const pushes: string[] = [];

describe('a registry that asks for a password, through real clients, in each setup', function () {
  this.timeout(120_000);
  let tls: Tls;
  let htpasswd: string;
  let big: LargeLayer;

  before(async function () {
    this.timeout(60_000);
    tls = makeTls();
    htpasswd = path.join(tempDir('berth-passwords-'), 'htpasswd');
    const entries = [ALICE, BOB].map(([user, password]) => htpasswdLine('bcrypt', user, password, ['-C', '5']));
    writeFileSync(htpasswd, `${entries.join('\n')}\n`);
    big = await writeLargeLayer(path.join(tempDir('berth-big-layer-'), 'layer.tar.gz'), 100 * MiB);
  });

  after(() => {
    if (pushes.length > 0) process.stdout.write(`\n    100 MiB V1 layer PUT (chunked):\n${pushes.map((p) => `      ${p}\n`).join('')}\n`);
  });

  for (const d of DEPLOYMENTS) {
    describe(d.label, () => {
      let berth: Awaited<ReturnType<typeof startBerth>> | undefined;
      let stopNginx: (() => Promise<void>) | undefined;
      let base: string;
      let conn: RegistryConnection;
      /** how skopeo is told to trust the registry, for flags with `prefix` (`--src-`, `--dest-`, `--`) */
      let skopeoTls: (prefix: string) => string[];

      before(async function () {
        berth = await startBerth(berthYaml(d, tempDir('berth-storage-'), htpasswd));
        if (d.nginx === null) {
          base = berth.url;
          conn = registryConnection(base);
          skopeoTls = (prefix) => [`${prefix}tls-verify=false`];
          return;
        }
        const nginx = await startExampleNginx(berth.url, tls, htpasswd, d.nginx);
        if (!nginx) return this.skip();
        stopNginx = () => nginx.stop();
        base = `https://127.0.0.1:${nginx.port}`;
        conn = registryConnection(base, tls.cert);
        // skopeo (containers/image) trusts the *.crt files of a --cert-dir as CAs.
        const certDir = tempDir('berth-skopeo-certs-');
        copyFileSync(tls.certFile, path.join(certDir, 'ca.crt'));
        skopeoTls = (prefix) => [`${prefix}cert-dir`, certDir];
      });
      after(async () => {
        conn?.close();
        await stopNginx?.();
        await berth?.stop();
      });

      const v2 = (method: string, p: string, headers: Record<string, string> = {}) => conn.send(method, p, { headers: { ...CONTAINERD, ...headers } });

      it('the pings answer without credentials (Docker pings before it logs in)', async () => {
        for (const p of ['/_ping', '/v1/_ping']) assert.equal((await conn.send('GET', p)).status, 200, p);
      });

      it('no credentials: 401 with a Basic challenge, on V2 (with the V2 header) and V1', async () => {
        const challenge = await v2('GET', '/v2/');
        assert.equal(challenge.status, 401);
        assert.equal(challenge.headers['www-authenticate'], `Basic realm="${REALM}"`);
        assert.equal(challenge.headers['docker-distribution-api-version'], 'registry/2.0');
        assert.equal((await v2('HEAD', '/v2/alice/app/manifests/latest')).status, 401);
        assert.equal((await conn.send('GET', '/v1/repositories/alice/app/tags')).status, 401);
      });

      it('a wrong password or an unknown user: 401, on V2 and V1', async () => {
        for (const [user, password] of [
          ['alice', 'wrong'],
          ['nobody', 'alice-pw'],
        ] as const) {
          const who = basicAuth(user, password);
          assert.equal((await v2('GET', '/v2/', who)).status, 401, `${user} on V2`);
          assert.equal((await conn.send('GET', '/v1/users/', { headers: who })).status, 401, `${user} on V1`);
        }
        assert.equal((await v2('GET', '/v2/', basicAuth(...ALICE))).status, 200);
      });

      it('docker login: POST /v1/users/ is 401, then GET /v1/users/ with Basic says whether the password is right', async () => {
        assert.equal(await docker1Session(conn, base, ...ALICE).login(), 'Login Succeeded');
        assert.equal(await docker1Session(conn, base, 'alice', 'wrong').login(), 'Wrong login/password, please try again');
      });

      it('V1: Docker 1.5 pushes a two-image chain whose top layer is 100 MiB sent chunked, and pulls it back byte for byte', async () => {
        const session = docker1Session(conn, base, ...ALICE);
        const baseLayer = Buffer.from('a small base layer');
        const [baseId, topId] = ['b'.repeat(64), 'c'.repeat(64)];
        const images = [
          { id: baseId, json: v1Json(baseId, null), layer: baseLayer },
          { id: topId, json: v1Json(topId, baseId), layer: { file: big.file } },
        ];
        // Dirty pages of earlier writes (the layer file, the last setup's pushes) flushed in the middle would skew the timing.
        execFileSync('sync');
        const timings = await session.push('alice/big', 'latest', images);
        const layerPut = timings.find((t) => t.id === topId);
        assert.ok(layerPut, 'the 100 MiB layer was sent');
        pushes.push(
          `${d.label}: ${(layerPut.bytes / MiB).toFixed(1)} MiB in ${(layerPut.ms / 1000).toFixed(2)} s = ${(layerPut.bytes / MiB / (layerPut.ms / 1000)).toFixed(0)} MiB/s`,
        );

        const pulled = await session.pull('alice/big', 'latest');
        assert.deepEqual(
          pulled.map((p) => p.id),
          [baseId, topId],
        );
        assert.equal(pulled[0]?.layerSha256, sha256(baseLayer));
        assert.equal(pulled[1]?.layerSha256, big.sha256, 'the 100 MiB layer came back byte for byte');
        assert.equal(pulled[1]?.layerSize, big.size);
        assert.equal(pulled[1]?.xDockerSize, String(big.size));
      });

      it('V2: skopeo --creds pushes an image and pulls back the same layer bytes; a wrong password is refused', async function () {
        if (!skopeoAvailable()) return this.skip();
        const work = tempDir('berth-skopeo-');
        writeFileSync(path.join(work, 'auth.json'), '{}');
        // No policy.json, registries.conf or auth file of the machine is read.
        const skopeo = (...args: string[]) =>
          run('skopeo', ['--insecure-policy', '--registries-conf', '/dev/null', ...args], {
            env: { ...process.env, REGISTRY_AUTH_FILE: path.join(work, 'auth.json'), HOME: work },
            timeout: 60_000,
          });
        const { layer } = writeLayout(path.join(work, 'layout'), await layerTar());
        const image = `docker://${new URL(base).host}/alice/v2app:v1`;
        const creds = `${ALICE[0]}:${ALICE[1]}`;
        await skopeo('copy', ...skopeoTls('--dest-'), '--dest-creds', creds, `oci:${path.join(work, 'layout')}:v1`, image);
        const out = path.join(work, 'pulled');
        mkdirSync(out);
        await skopeo('copy', ...skopeoTls('--src-'), '--src-creds', creds, image, `dir:${out}`);
        assert.ok(readFileSync(path.join(out, sha256(layer))).equals(layer), 'the pulled layer is byte for byte the pushed one');
        await assert.rejects(skopeo('inspect', ...skopeoTls('--'), '--creds', 'alice:wrong', image), (err: Error & { stderr?: string }) => {
          assert.match(err.stderr ?? '', /401|unauthorized/i);
          return true;
        });
      });

      if (d.berthAuth === 'htpasswd') {
        it('a client cannot dodge the failed-login slow-down by sending an X-Forwarded-For of its own', async () => {
          const attempt = (n: number, password: string) => v2('GET', '/v2/', { ...basicAuth(ALICE[0], password), 'X-Forwarded-For': `198.51.100.${n}` });
          assert.equal((await attempt(0, ALICE[1])).status, 200, 'a success forgets earlier failures');
          for (let n = 1; n <= 5; n++) assert.equal((await attempt(n, 'wrong')).status, 401);
          const started = performance.now();
          assert.equal((await attempt(6, 'wrong')).status, 401);
          assert.ok(performance.now() - started >= 200, 'the sixth failure in a row from one client waits, whatever address it claims');
          assert.equal((await attempt(7, ALICE[1])).status, 200);
        });
      }

      if (d.berthAuth !== 'none') {
        it('Berth’s access rules apply: 403 for a user without the right, who cannot claim another user by sending X-Remote-User', async () => {
          const asBob = { ...basicAuth(...BOB), 'X-Remote-User': 'alice' };
          const upload = await v2('POST', '/v2/alice/app/blobs/uploads/', asBob);
          assert.equal(upload.status, 403, upload.body.toString());
          assert.equal(JSON.parse(upload.body.toString()).errors[0].code, 'DENIED');
          const index = await conn.send('PUT', '/v1/repositories/alice/app/', {
            headers: { ...asBob, 'X-Docker-Token': 'true', 'Content-Type': 'application/json' },
            body: '[]',
          });
          assert.equal(index.status, 403, index.body.toString());
          assert.equal((await v2('GET', '/v2/library/app/tags/list', asBob)).status, 404, 'bob may pull library/*, where nothing is');
        });
      }
    });
  }
});
