/**
 * `node dist` with a low open-file limit (prlimit in front of it, as `ulimit -n` would): with
 * the connection caps set above what the limit allows, the process runs out of descriptors,
 * answers 503 (never 500) meanwhile, and recovers once connections go; with the caps it derives
 * from the limit itself, it never runs out: connections beyond them are answered 503/429 or
 * closed, and the connections it serves go on reading blobs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, writeConfig } from '../support/config.js';
import { type BerthProcess, spawnServer } from '../support/process.js';
import { rawRequest } from '../support/raw-http.js';
import { registryConnection } from '../support/registry-connection.js';
import { sha256 } from '../support/v2-client.js';

const LIMIT = 200;

function descriptorsOf(pid: number): number {
  return spawnSync('ls', [`/proc/${pid}/fd`])
    .stdout.toString()
    .split('\n')
    .filter(Boolean).length;
}

/** `node dist` with at most LIMIT open files, logging every request (statuses are checked from the log). */
function startLimited(extra: string, limit = LIMIT): BerthProcess {
  const config = writeConfig(`test:\n  storage: local\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: info\n${extra}`);
  return spawnServer('prlimit', [`--nofile=${limit}:${limit}`, process.execPath, path.join(INSTALL_DIR, 'dist')], {
    DOCKER_REGISTRY_CONFIG: config,
    SETTINGS_FLAVOR: 'test',
  });
}

/** Statuses of the access log lines (JSON, one per request). */
function loggedStatuses(stdout: string): number[] {
  return stdout
    .split('\n')
    .filter((l) => l.includes('"status":'))
    .map((l) => (JSON.parse(l) as { status: number }).status);
}

/** `n` connections to `url` that send nothing; resolves once each is connected (or refused). */
async function silentConnections(url: string, n: number): Promise<net.Socket[]> {
  const { port } = new URL(url);
  return Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect(Number(port), '127.0.0.1', () => resolve(socket));
          socket.on('error', () => resolve(socket));
        }),
    ),
  );
}

/** A ping on a new connection, which is kept open (unless the server closes it); resolves at the first answer. */
function pingAndKeep(url: string): Promise<{ status: number | null; socket: net.Socket }> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('GET /v1/_ping HTTP/1.1\r\nHost: x\r\n\r\n'));
    socket.once('data', (chunk) => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString())?.[1] ?? 0) || null, socket }));
    socket.once('close', () => resolve({ status: null, socket }));
    socket.on('error', () => {});
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`timed out: ${what}`);
}

describe('out of file descriptors: node dist under prlimit --nofile', function () {
  this.timeout(90_000);
  let sockets: net.Socket[] = [];
  before(function () {
    if (spawnSync('prlimit', ['--version']).status !== 0) {
      if (process.env.CI) throw new Error('prlimit (util-linux) is missing');
      console.log('    (skipped: no prlimit)');
      this.skip();
    }
  });
  afterEach(() => {
    for (const s of sockets) s.destroy();
    sockets = [];
  });

  it('the case that ran out before: 288 PATCHes trickling under a limit of 600; another client goes on reading blobs, and the trickles are cut', async () => {
    const b = startLimited('  body_min_rate_interval: 3\n', 600);
    const url = await b.ready();
    const pid = b.proc.pid as number;
    try {
      // Each request on a connection of its own, closed after the answer: the client keeps none.
      const blob = randomBytes(100_000);
      const digest = sha256(blob);
      const post = { method: 'POST', headers: { 'Content-Length': String(blob.length) }, body: blob, untilAnswer: true };
      assert.equal((await rawRequest(url, { ...post, path: `/v2/fd/app/blobs/uploads/?digest=${digest}` })).status, 201);
      const baseline = descriptorsOf(pid);
      const sessions: string[] = [];
      while (sessions.length < 288) {
        const start = await rawRequest(url, { method: 'POST', path: '/v2/fd/trickle/blobs/uploads/', untilAnswer: true });
        assert.equal(start.status, 202);
        sessions.push(start.headers.location as string);
      }
      const trickles = sessions.map((location) =>
        rawRequest(url, { method: 'PATCH', path: location, headers: { 'Content-Length': '100000' }, trickle: { bytes: 1, everyMs: 1000 }, giveUpMs: 30_000 }),
      );
      await sleep(1_000);
      // Another client (another loopback address): new connections, blob reads, pings.
      for (let i = 0; i < 10; i++) {
        const read = await rawRequest(url, { method: 'GET', path: `/v2/fd/app/blobs/${digest}`, from: '127.0.0.2', untilAnswer: true });
        assert.equal(read.status, 200);
        assert.equal((await rawRequest(url, { method: 'GET', path: '/v1/_ping', from: '127.0.0.2', untilAnswer: true })).status, 200);
      }
      const answers = await Promise.all(trickles);
      const statuses = new Set(answers.map((a) => a.status));
      for (const status of statuses) assert.ok([408, 429, null].includes(status), `a trickle answered ${status}`);
      assert.ok(statuses.has(408), [...statuses].join());
      assert.ok(
        answers.every((a) => a.closed),
        'every trickle closed by the server',
      );
      await until(() => descriptorsOf(pid) <= baseline, `descriptors back to ${baseline}`);
      assert.deepEqual(
        loggedStatuses(b.stdout()).filter((s) => s >= 500),
        [],
      );
    } finally {
      b.kill('SIGKILL');
      await b.exited;
    }
  });

  it('with max_connections above the limit: blob reads answer 503 while descriptors are out, then work again; the process lives', async () => {
    const b = startLimited('  max_connections: 5000\n  max_connections_per_client: 0\n');
    const url = await b.ready();
    const pid = b.proc.pid as number;
    const conn = registryConnection(url);
    try {
      const blob = randomBytes(100_000);
      const digest = sha256(blob);
      assert.equal((await fetch(`${url}/v2/fd/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob })).status, 201);
      assert.equal((await conn.send('GET', `/v2/fd/app/blobs/${digest}`)).status, 200);

      sockets = await silentConnections(url, LIMIT + 50);
      await until(() => descriptorsOf(pid) >= LIMIT - 1, `the server holds ${LIMIT} descriptors`);
      const starved = await conn.send('GET', `/v2/fd/app/blobs/${digest}`);
      assert.equal(starved.status, 503, starved.body.toString());
      assert.equal(starved.headers['retry-after'], '5');
      assert.equal((JSON.parse(starved.body.toString()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNAVAILABLE');
      const v1 = await conn.send('PUT', `/v1/images/${'c'.repeat(64)}/json`, { body: JSON.stringify({ id: 'c'.repeat(64) }) });
      assert.equal(v1.status, 503, v1.body.toString());

      for (const s of sockets) s.destroy();
      await until(() => descriptorsOf(pid) < 50, 'the server lets go of the connections');
      const again = await conn.send('GET', `/v2/fd/app/blobs/${digest}`);
      assert.equal(again.status, 200);
      assert.equal(again.sha256, digest.slice('sha256:'.length));
      assert.equal((await fetch(`${url}/v1/_ping`)).status, 200, 'new connections are accepted again');
      assert.equal(b.proc.exitCode, null);
      assert.deepEqual(
        loggedStatuses(b.stdout()).filter((s) => s >= 500 && s !== 503),
        [],
      );
    } finally {
      conn.close();
      b.kill('SIGKILL');
      await b.exited;
    }
  });

  it('with the caps derived from the limit: never out of descriptors; beyond the caps 429 or closed, never 500; descriptors back to baseline', async () => {
    const b = startLimited('');
    const url = await b.ready();
    const pid = b.proc.pid as number;
    assert.match(b.stdout(), /"connections":"at most 50, 25 per address"/);
    const conn = registryConnection(url);
    try {
      const blob = randomBytes(100_000);
      const digest = sha256(blob);
      assert.equal((await fetch(`${url}/v2/fd/app/blobs/uploads/?digest=${digest}`, { method: 'POST', body: blob })).status, 201);
      assert.equal((await conn.send('GET', `/v2/fd/app/blobs/${digest}`)).status, 200);
      const baseline = descriptorsOf(pid);

      // One connection after the other, each kept: those within the address's share (25, this
      // test's other connections included) are served, the next ones answered 429 and closed.
      const statuses: Array<number | null> = [];
      for (let i = 0; i < 40; i++) {
        const { status, socket } = await pingAndKeep(url);
        statuses.push(status);
        sockets.push(socket);
      }
      const served = statuses.indexOf(429);
      assert.ok(served >= 20 && served <= 25, statuses.join());
      assert.deepEqual(new Set(statuses.slice(0, served)), new Set([200]), statuses.join());
      assert.deepEqual(new Set(statuses.slice(served)), new Set([429]), statuses.join());
      sockets.push(...(await silentConnections(url, 150)));
      await sleep(500);
      assert.ok(descriptorsOf(pid) < LIMIT - 20, `${descriptorsOf(pid)} descriptors`);
      for (let i = 0; i < 5; i++) assert.equal((await conn.send('GET', `/v2/fd/app/blobs/${digest}`)).status, 200);

      for (const s of sockets) s.destroy();
      await until(() => descriptorsOf(pid) <= baseline, `descriptors back to ${baseline}`);
      assert.equal((await fetch(`${url}/v1/_ping`)).status, 200);
      assert.deepEqual(
        loggedStatuses(b.stdout()).filter((s) => s >= 500 && s !== 503),
        [],
      );
    } finally {
      conn.close();
      b.kill('SIGKILL');
      await b.exited;
    }
  });
});
