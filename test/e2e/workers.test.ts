/**
 * Workers as operators run them: `node dist` with BERTH_WORKERS, and the gunicorn command lines
 * of old docker-registry deployments (wsgi-compat/gunicorn). Real processes on loopback ports;
 * every load loop bounded in count and time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, writeConfig } from '../support/config.js';
import { bandwidthParser, DOCKER_REGISTRY_FORMAT } from '../support/gunicorn-log.js';
import { type Launched, launchDist, launchGunicorn, pacedBody, request, waitFor } from '../support/launcher.js';
import { gzipLayer } from '../support/layers.js';
import { isRunning } from '../support/process.js';
import { freePort } from '../support/services.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';

const ID = `${'c'.repeat(63)}1`;
const MiB = 1 << 20;
const UPLOAD = 200 * MiB;

function registryEnv(extra = ''): Record<string, string> {
  const config = writeConfig(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: info\n  lock_dir: ${tempDir()}\n${extra}`);
  return { DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 't' };
}

const banners = (p: Launched) => p.workerPids().length;
const logged = (p: Launched, msg: string) => p.lines().filter((l) => typeof l.msg === 'string' && l.msg.includes(msg));

/** A small V1 push and V2 pull through `base`: the registry works. */
async function pushAndPull(base: string): Promise<void> {
  const layer = await gzipLayer({ 'hello.txt': 'hello\n' });
  const v1 = v1Engine(base);
  await v1.push('workers/app', 'latest', [{ id: ID, json: v1Json(ID, null), layer: layer.bytes }]);
  const back = await request(base, 'GET', `/v1/images/${ID}/layer`);
  assert.equal(back.status, 200);
  assert.ok(back.body.equals(layer.bytes), 'the layer comes back byte for byte');
  const manifest = await request(base, 'GET', '/v2/workers/app/manifests/latest', {
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  assert.equal(manifest.status, 200, manifest.body.toString());
}

/** Start a monolithic V2 blob upload of `body`; resolves with the final answer. */
async function uploadBlob(base: string, body: ReturnType<typeof pacedBody>, size = UPLOAD): Promise<{ status: number; text: string }> {
  const started = await request(base, 'POST', '/v2/workers/big/blobs/uploads/');
  assert.equal(started.status, 202);
  const location = `${started.headers.location}${String(started.headers.location).includes('?') ? '&' : '?'}digest=${body.digest}`;
  const done = await request(base, 'PUT', location, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
    body: body.stream,
  });
  return { status: done.status, text: done.body.toString() };
}

async function stopped(p: Launched, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.proc.exitCode !== null) return p.proc.exitCode;
  p.kill(signal);
  return p.exited;
}

describe('workers (node:cluster) and the gunicorn launcher', function () {
  this.timeout(120_000);
  let running: Launched | null = null;
  afterEach(async () => {
    if (running && running.proc.exitCode === null) await stopped(running, 'SIGKILL');
    running = null;
  });

  it("docker-registry's run.sh and 0.6 README production gunicorn lines start a working registry", async () => {
    for (const line of [
      '--access-logfile - --debug --max-requests 100 --graceful-timeout 3600 -t 3600 -k gevent -b 127.0.0.1:PORT -w 2 wsgi:application',
      '-k gevent --max-requests 100 --graceful-timeout 3600 -t 3600 -b 127.0.0.1:PORT -w 2 docker_registry.wsgi:application',
    ]) {
      const port = await freePort();
      const g = launchGunicorn(line.replace('PORT', String(port)).split(' '), registryEnv(), tempDir());
      running = g;
      await waitFor(() => banners(g) === 2, `two workers for: ${line}`);
      await pushAndPull(`http://127.0.0.1:${port}`);
      assert.equal(await stopped(g), 0);
    }
  });

  it("-c with docker-registry's contrib/gunicorn_config.py, -b twice (a port and a unix socket), -p: both addresses serve", async () => {
    const port = await freePort();
    const dir = tempDir();
    const socket = path.join(dir, 'berth.sock');
    const pidFile = path.join(dir, 'berth.pid');
    // A stale socket file, as a killed run leaves it: removed before listening.
    const code = `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`;
    spawnSync(process.execPath, ['-e', code], { timeout: 10_000 });
    assert.ok(fs.statSync(socket).isSocket(), 'a stale socket is there');
    const fixture = path.join(INSTALL_DIR, 'test/fixtures/gunicorn/gunicorn_config.py');
    const g = launchGunicorn(
      ['-c', fixture, '-b', `127.0.0.1:${port}`, '-b', `unix:${socket}`, '-w', '1', '-p', pidFile],
      { ...registryEnv(), SETTINGS_FLAVOR: 't' },
      dir,
    );
    running = g;
    await waitFor(() => banners(g) === 1, 'the worker');
    assert.match(g.stderr(), /gunicorn_config\.py:18: debug: ignored/);
    assert.equal(fs.readFileSync(pidFile, 'utf8').trim(), String(g.proc.pid));
    await pushAndPull(`http://127.0.0.1:${port}`);
    const viaSocket = await new Promise<number>((resolve, reject) =>
      http.get({ socketPath: socket, path: '/v1/_ping' }, (res) => resolve(res.statusCode ?? 0)).on('error', reject),
    );
    assert.equal(viaSocket, 200);
    assert.equal(await stopped(g), 0);
    assert.equal(fs.existsSync(pidFile), false, 'the pid file goes with the launcher');
  });

  it('--max-requests: a worker recycled in the middle of a 200 MiB upload finishes it; its successor already serves, and takes the host jobs once the old one stopped them', async () => {
    const port = await freePort();
    const g = launchGunicorn(['-b', `127.0.0.1:${port}`, '-w', '1', '--max-requests', '20'], registryEnv(), tempDir());
    running = g;
    await waitFor(() => banners(g) === 1, 'the worker');
    const base = `http://127.0.0.1:${port}`;
    const first = g.workerPids()[0] as number;
    const body = pacedBody(UPLOAD, 64 * MiB);
    const upload = uploadBlob(base, body);
    upload.catch(() => {}); // awaited below; a test failing before must not leave it unhandled
    await body.atPause;
    // Enough small requests to pass max_requests while the upload is in flight; each on a new connection.
    for (let i = 0; i < 40; i++) {
      const res = await request(base, 'GET', '/v2/');
      assert.equal(res.status, 200, `request ${i}`);
    }
    await waitFor(() => logged(g, 'retiring').some((l) => l.pid === first), 'the first worker to retire');
    await waitFor(() => banners(g) === 2, 'the successor banner'); // it listened before the old one retired; its log line may come later
    assert.ok(isRunning(first), 'the recycled worker is still finishing the upload');
    // The once-per-host jobs move on at once, not after the old worker's drain, and never run
    // in two workers together: the old one stops them (its upload still in flight), then the
    // successor is elected.
    const elected = () => logged(g, 'elected to run the once-per-host jobs');
    await waitFor(() => elected().length === 2, 'the successor to be elected for the host jobs while the old one drains', 15_000);
    const [firstElection, secondElection] = elected();
    assert.equal(firstElection?.pid, first);
    assert.notEqual(secondElection?.pid, first);
    const jobsStopped = logged(g, 'stopped the once-per-host jobs').find((l) => l.pid === first);
    assert.ok(jobsStopped, 'the retiring worker stopped its host jobs before the successor took them');
    assert.ok(Date.parse(String(jobsStopped.time)) <= Date.parse(String(secondElection?.time)), 'stopped, then elected');
    assert.ok(isRunning(first), 'all that while the recycled worker is still finishing the upload');
    body.resume();
    const done = await upload;
    assert.equal(done.status, 201, done.text);
    const head = await request(base, 'HEAD', `/v2/workers/big/blobs/${body.digest}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(UPLOAD));
    await waitFor(() => !g.children().includes(first), 'the recycled worker to exit');
    assert.equal(await stopped(g), 0);
  });

  it('SIGHUP under load (node dist, BERTH_WORKERS=2, kept-alive connections): every worker replaced, no request fails', async () => {
    const port = await freePort();
    const g = launchDist({ ...registryEnv(), BERTH_WORKERS: '2', REGISTRY_PORT: String(port) });
    running = g;
    await waitFor(() => banners(g) === 2, 'two workers');
    const before = g.children();
    const base = `http://127.0.0.1:${port}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const failures: string[] = [];
    let done = 0;
    let reloaded = false;
    const deadline = Date.now() + 60_000;
    const loop = async () => {
      // Bounded: until 200 requests after the reload finished, or the deadline.
      for (let after = 0; after < 25 && Date.now() < deadline; done++) {
        try {
          const res = await request(base, 'GET', done % 2 ? '/v2/' : '/v1/_ping', { agent });
          if (res.status !== 200) failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
        if (reloaded) after++;
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await waitFor(() => done >= 100, 'some load first');
    g.kill('SIGHUP');
    await waitFor(() => logged(g, 'reload done').length > 0, 'the reload', 60_000);
    reloaded = true;
    await Promise.all(loops);
    agent.destroy();
    assert.deepEqual(failures, [], `${failures.length} of ${done} requests failed`);
    await waitFor(() => banners(g) === 4, 'two new workers');
    await waitFor(() => before.every((pid) => !g.children().includes(pid)), 'the old workers to exit');
    assert.equal(g.children().length, 2);
    assert.equal(await stopped(g), 0);
  });

  it('SIGTERM: an upload in flight finishes within the graceful timeout; the launcher then exits 0', async () => {
    const port = await freePort();
    const g = launchGunicorn(['-b', `127.0.0.1:${port}`, '-w', '2', '--graceful-timeout', '60'], registryEnv(), tempDir());
    running = g;
    await waitFor(() => banners(g) === 2, 'two workers');
    const base = `http://127.0.0.1:${port}`;
    const body = pacedBody(64 * MiB, 32 * MiB);
    const upload = uploadBlob(base, body, 64 * MiB);
    upload.catch(() => {}); // awaited below; a test failing before must not leave it unhandled
    await body.atPause;
    g.kill('SIGTERM');
    await waitFor(() => logged(g, 'draining in-flight requests').length === 2, 'both workers draining');
    body.resume();
    const done = await upload;
    assert.equal(done.status, 201, done.text);
    assert.equal(await g.exited, 0);
  });

  it('--access-logformat: the access file gets gunicorn lines, field by field as gunicorn wrote them', async () => {
    const port = await freePort();
    const dir = tempDir();
    const file = path.join(dir, 'access.log');
    const g = launchGunicorn(
      ['-b', `127.0.0.1:${port}`, '-w', '1', '--access-logfile', file, '--access-logformat', DOCKER_REGISTRY_FORMAT],
      registryEnv(),
      dir,
    );
    running = g;
    await waitFor(() => banners(g) === 1, 'the worker');
    const base = `http://127.0.0.1:${port}`;
    await pushAndPull(base);
    const json = await request(base, 'GET', `/v1/images/${ID}/json`, {
      headers: {
        'User-Agent': 'docker/1.5.0 go/go1.4.1',
        Referer: 'http://example.com/"x"',
        Authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}`,
      },
    });
    assert.equal(json.status, 200);
    // The line is written when the server sees the response end, which may be just after the client does.
    const ours = () =>
      fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.includes(`GET /v1/images/${ID}/json`) && l.includes(' alice '));
    await waitFor(() => ours() !== undefined, 'the line');
    const line = ours() as string;
    // Sample (gunicorn 19.1, the same format): 127.0.0.1 - alice [07/Dec/2026:13:08:00] "GET /v1/images/<id>/json HTTP/1.1" 200 57 "http://example.com/\"x\"" "docker/1.5.0 go/go1.4.1" 1234 24
    const m = /^(\S+) (\S+) (\S+) \[([^\]]+)\] "([^"]*)" (\d{3}) (\S+) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)" (\d+) (\S+)$/.exec(line);
    assert.ok(m, `a gunicorn line: ${line}`);
    const [, h, l, u, t, r, s, b, f, a, D, size] = m;
    assert.deepEqual(
      [h, l, u, r, s, f, a],
      ['127.0.0.1', '-', 'alice', `GET /v1/images/${ID}/json HTTP/1.1`, '200', 'http://example.com/\\"x\\"', 'docker/1.5.0 go/go1.4.1'],
    );
    assert.match(t as string, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2}$/);
    assert.equal(b, String(json.body.length));
    assert.ok(Number(D) > 0 && Number(D) < 60e6, `D is microseconds: ${D}`);
    assert.equal(size, json.headers['x-docker-size']);
    // The old registry's own parser reads it (a layer GET is there too: its pair).
    assert.equal(bandwidthParser(line.replace(' alice ', ' - '))?.type, 'json');
    assert.ok(!/"msg":"request"/.test(fs.readFileSync(file, 'utf8')), 'no JSON lines in the gunicorn file');
    assert.equal(await stopped(g), 0);
  });

  it('--reload: a change to the config file replaces the workers', async () => {
    const port = await freePort();
    const env = registryEnv();
    const g = launchGunicorn(['-b', `127.0.0.1:${port}`, '-w', '1', '--reload'], env, tempDir());
    running = g;
    await waitFor(() => banners(g) === 1, 'the worker');
    const first = g.workerPids()[0] as number;
    fs.appendFileSync(env.DOCKER_REGISTRY_CONFIG as string, '# edited\n');
    await waitFor(() => logged(g, 'reload done').length > 0, 'the reload');
    await waitFor(() => banners(g) === 2, 'the new worker');
    await waitFor(() => !g.children().includes(first), 'the old worker to exit');
    assert.equal((await request(`http://127.0.0.1:${port}`, 'GET', '/v1/_ping')).status, 200);
    // A config with an error is refused: logged, and the running worker stays.
    const serving = g.children();
    fs.appendFileSync(env.DOCKER_REGISTRY_CONFIG as string, '  drain_timeout: soon\n');
    await waitFor(() => logged(g, 'config not reloaded').length > 0, 'the refusal');
    assert.match(String(logged(g, 'config not reloaded')[0]?.msg), /t\.drain_timeout: expected a number of seconds/);
    assert.deepEqual(g.children(), serving);
    assert.equal((await request(`http://127.0.0.1:${port}`, 'GET', '/v1/_ping')).status, 200);
    assert.equal(await stopped(g), 0);
  });

  it('-u/-g started as root: the workers run as that user and group, the launcher stays root', async function () {
    if (process.getuid?.() !== 0) this.skip();
    const port = await freePort();
    // Everything the workers touch must be theirs to use.
    const dir = fs.mkdtempSync('/tmp/berth-workers-uid-');
    fs.chmodSync(dir, 0o777);
    fs.writeFileSync(path.join(dir, 'config.yml'), `t:\n  storage_path: ${dir}/store\n  standalone: true\n  loglevel: info\n  lock_dir: ${dir}/locks\n`);
    const log = path.join(dir, 'access.log');
    try {
      const g = launchGunicorn(
        ['-b', `127.0.0.1:${port}`, '-w', '1', '-u', 'nobody', '-g', 'nogroup', '--access-logfile', log],
        { DOCKER_REGISTRY_CONFIG: path.join(dir, 'config.yml'), SETTINGS_FLAVOR: 't' },
        dir,
      );
      running = g;
      await waitFor(() => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('listening on'), 'the worker');
      const worker = g.children()[0] as number;
      const ids = (pid: number) => /Uid:\s+(\d+)[\s\S]*Gid:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.slice(1, 3);
      assert.deepEqual(ids(worker), ['65534', '65534']);
      assert.deepEqual(ids(g.proc.pid as number), ['0', '0']);
      assert.equal(fs.statSync(log).uid, 65534, 'the log file was given to the user');
      await pushAndPull(`http://127.0.0.1:${port}`);
      assert.equal(await stopped(g), 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('workers that die before they listen (a crash loop) stop the launcher with exit 1 and say why', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const g = launchGunicorn(['-b', `127.0.0.1:${port}`, '-w', '2'], registryEnv(), tempDir());
      running = g;
      assert.equal(await g.exited, 1);
      assert.match(g.stdout() + g.stderr(), /workers in a row died before they could listen/);
    } finally {
      taken.close();
    }
  });

  it('SIGTTIN adds a worker, SIGTTOU removes one; a killed worker is replaced', async () => {
    const port = await freePort();
    const g = launchDist({ ...registryEnv(), BERTH_WORKERS: '2', REGISTRY_PORT: String(port) });
    running = g;
    await waitFor(() => banners(g) === 2 && g.children().length === 2, 'two workers');
    g.kill('SIGTTIN');
    await waitFor(() => banners(g) === 3 && g.children().length === 3, 'a third worker');
    g.kill('SIGTTOU');
    await waitFor(() => g.children().length === 2, 'back to two');
    const victim = g.children()[0] as number;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => banners(g) === 4 && g.children().length === 2 && !g.children().includes(victim), 'a replacement');
    assert.equal((await request(`http://127.0.0.1:${port}`, 'GET', '/v1/_ping')).status, 200);
    assert.equal(await stopped(g), 0);
  });

  it('the once-per-host jobs run in one worker; when it dies, another takes them', async () => {
    const port = await freePort();
    const g = launchDist({ ...registryEnv(), BERTH_WORKERS: '3', REGISTRY_PORT: String(port) });
    running = g;
    await waitFor(() => banners(g) === 3, 'three workers');
    await waitFor(() => logged(g, 'elected to run the once-per-host jobs').length === 1, 'one election');
    await new Promise((r) => setTimeout(r, 1000));
    const elected = logged(g, 'elected to run the once-per-host jobs');
    assert.equal(elected.length, 1, 'one worker of three runs them');
    assert.deepEqual(elected[0]?.jobs, ['upload-purge', 'bridge-resume']);
    process.kill(elected[0]?.pid as number, 'SIGKILL');
    await waitFor(() => logged(g, 'elected to run the once-per-host jobs').length === 2, 'a second election');
    assert.notEqual(logged(g, 'elected to run the once-per-host jobs')[1]?.pid, elected[0]?.pid);
    assert.equal(await stopped(g), 0);
  });
});
