// What the pull-through cache of a V2 registry costs (README "Keep Docker 1.x hosts pulling").
// The upstream is Debian's docker-registry 2.8 on loopback (local filesystem); Berth mirrors it
// (mirroring.source, protocol v2), on local storage. One run prints:
//  1. a pull of one large blob (default 1 GiB): straight from the upstream, then through the
//     mirror cold (fetched from the upstream while it is stored) and warm (from the cache);
//  2. 20 concurrent cold pulls of another blob (default 64 MiB) through the mirror, and how many
//     GETs of it the upstream served (from its access log; the target is 1).
// Run: npm run bench:mirror   (BENCH_MB=256 for a quicker run; BENCH_CONCURRENT_MB for part 2)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MB, request, startBerth, timed, writeRandomFile } from './common.mjs';

const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const CONCURRENT_SIZE = Number(process.env.BENCH_CONCURRENT_MB ?? 64) * MB;
const CLIENTS = 20;
/** the whole run is bounded: a stuck transfer ends it rather than the machine's patience */
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_S ?? 600) * 1000;
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-mirror-'));

const freePort = () =>
  new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/** docker-registry on loopback; its access log (stdout, combined format) is counted. */
async function startUpstream() {
  const port = await freePort();
  const config = path.join(work, 'upstream.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: ${path.join(work, 'upstream')}}\nhttp: {addr: "127.0.0.1:${port}"}\n`,
  );
  const proc = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'inherit'] });
  const served = [];
  let pending = '';
  proc.stdout.on('data', (d) => {
    const lines = (pending + d).split('\n');
    pending = lines.pop();
    for (const line of lines) {
      const m = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /.exec(line);
      if (m) served.push({ method: m[1], path: m[2], status: Number(m[3]) });
    }
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      (await fetch(`${url}/v2/`).then(
        (r) => r.status,
        () => 0,
      )) === 200
    )
      return { url, served, stop: () => proc.kill('SIGTERM') };
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error('docker-registry did not start');
}

/** Push a file as a blob of `name` (POST a session, PUT the bytes with ?digest=). */
async function pushBlob(upstream, name, file, digest) {
  const session = await fetch(`${upstream.url}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(session.headers.get('location'), upstream.url);
  location.searchParams.set('digest', digest);
  const put = await request(location.href, 'PUT', {
    body: createReadStream(file),
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(statSync(file).size) },
  });
  if (put.status !== 201) throw new Error(`push of ${name} failed: ${put.status}`);
}

async function pull(url, expected) {
  let res;
  const ms = await timed(async () => {
    res = await request(url, 'GET', { sha256: true });
  });
  if (res.status !== 200 || res.digest !== expected) throw new Error(`pull of ${url}: ${res.status}, ${res.digest}`);
  return { ms, mbs: res.size / MB / (ms / 1000) };
}

const deadline = setTimeout(() => {
  console.error(`bench:mirror: over ${DEADLINE_MS / 1000} s, stopped`);
  process.exit(2);
}, DEADLINE_MS);
deadline.unref();

const big = path.join(work, 'big.bin');
const bigDigest = `sha256:${(await writeRandomFile(big, SIZE, createHash('sha256'))).digest('hex')}`;
const shared = path.join(work, 'shared.bin');
const sharedDigest = `sha256:${(await writeRandomFile(shared, CONCURRENT_SIZE, createHash('sha256'))).digest('hex')}`;

const upstream = await startUpstream();
let mirror;
try {
  await pushBlob(upstream, 'bench/big', big, bigDigest);
  await pushBlob(upstream, 'bench/shared', shared, sharedDigest);
  rmSync(big);
  rmSync(shared);
  const store = path.join(work, 'mirror');
  const config = path.join(work, 'mirror.yml');
  writeFileSync(
    config,
    `bench:\n  storage: local\n  storage_path: ${store}\n  standalone: true\n  loglevel: warning\n  lock_dir: ${store}-locks\n  mirroring:\n    source: ${upstream.url}\n    protocol: v2\n`,
  );
  mirror = await startBerth(
    { DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'bench' },
    process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : [],
  );

  const blobPath = (name, digest) => `/v2/${name}/blobs/${digest}`;
  const direct = await pull(upstream.url + blobPath('bench/big', bigDigest), bigDigest);
  const cold = await pull(mirror.url + blobPath('bench/big', bigDigest), bigDigest);
  const warm = await pull(mirror.url + blobPath('bench/big', bigDigest), bigDigest);
  const row = (what, r) => console.log(`  ${what.padEnd(34)} ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.mbs.toFixed(0).padStart(5)} MB/s`);
  console.log(`pull of one ${SIZE / MB} MiB blob (docker-registry 2.8 upstream, loopback, local storage):`);
  row('direct from the upstream', direct);
  row('through the mirror, cold', cold);
  row('through the mirror, warm (cached)', warm);

  const before = upstream.served.length;
  const all = await timed(() => Promise.all(Array.from({ length: CLIENTS }, () => pull(mirror.url + blobPath('bench/shared', sharedDigest), sharedDigest))));
  await new Promise((r) => setTimeout(r, 500)); // the upstream logs a request once it is done
  const gets = upstream.served.slice(before).filter((r) => r.method === 'GET' && r.path.includes(sharedDigest) && r.status === 200).length;
  console.log(`${CLIENTS} concurrent cold pulls of one ${CONCURRENT_SIZE / MB} MiB blob through the mirror: ${(all / 1000).toFixed(2)} s`);
  console.log(`  upstream GETs of that blob: ${gets} (target 1)`);
} finally {
  await mirror?.stop();
  upstream.stop();
  rmSync(work, { recursive: true, force: true });
}
