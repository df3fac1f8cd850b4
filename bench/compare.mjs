// Berth beside Debian's docker-registry 2.8.2 (`/usr/bin/docker-registry`), side by side in one
// run under the same client, disk and load: monolithic (POST, then one PUT ?digest= with the
// whole blob) and chunked (64 MiB PATCHes) upload of a
// large blob, blob GET, manifest GET and blob HEAD with 50 connections, GET /v2/; plus Berth's V1
// layer push and pull beside its V2 figures. Each figure runs A B B A per round (Berth, 2.8.2,
// 2.8.2, Berth), so neither server always goes first on a disk whose speed drifts.
//
// For every figure it prints both servers' throughput, their CPU seconds (utime + stime from
// /proc/<pid>/stat, the delta over the phase; per GiB for transfers, per 1000 requests for the
// loads; the user part in brackets), their peak RSS over the phase (VmHWM, reset through /proc/<pid>/clear_refs at the
// start), the ratio Berth / 2.8.2, and the client's own CPU, flagged when it keeps a core busy
// (then the figure says more about the client than about the servers).
//
// Blobs are generated in memory (a 16 MiB random pool, the first MiB stamped per blob), so
// every upload has its own digest, the client reads no file, and each blob's data is removed
// from both stores after its phase (only the blob the GETs use stays).
//
// Run: npm run bench:compare -- [--rounds N] [--size MiB] [--storage local|s3]
//   --rounds  A B B A rounds per figure (default 1)
//   --size    blob size in MiB (default 1024)
//   --storage s3   both on one Ceph RGW started by scripts/services/rgw.sh (a bucket each; its
//                  default memstore keeps objects in RAM, so keep --size moderate)
//   --only berth|registry      one server only
//   --figures mono,chunked,get,manifest,head,ping,v1   a subset (default: all)
//   --no-bridge                Berth with BRIDGE=false: its V1 figures without the V2 view of each
//                              layer being worked out (a second sha256 of it) in the background
//   --cpu-prof DIR             Berth runs under node --cpu-prof, its profile written to DIR on exit
//   BENCH_SECONDS  seconds of each 50-connection request load (default 5)
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import autocannon from 'autocannon';
import { headWithoutBody, MB, ROOT, startBerth } from './common.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1' },
    size: { type: 'string', default: '1024' },
    storage: { type: 'string', default: 'local' },
    only: { type: 'string' },
    figures: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'no-bridge': { type: 'boolean', default: false },
  },
});
const ONLY = args.only ?? null; // berth | registry: run one server only
const FIGURES = new Set((args.figures ?? 'mono,chunked,get,manifest,head,ping,v1').split(','));
const ROUNDS = Math.max(1, Math.min(20, Number(args.rounds)));
const SIZE = Number(args.size) * MB;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CHUNK = 64 * MB;
const RSS_TARGET = 150;
const REGISTRY = '/usr/bin/docker-registry';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const GiB = 1024 * MB;
if (!Number.isInteger(SIZE / MB) || SIZE <= 0) throw new Error('--size: a whole number of MiB');
if (!['local', 's3'].includes(args.storage)) throw new Error(`--storage ${args.storage}: local or s3`);
const S3 = args.storage === 's3';
const RGW_SCRIPT = path.join(ROOT, 'scripts/services/rgw.sh');
const RGW_KEYS = { RGW_ACCESS_KEY: 'BENCHACCESSKEY', RGW_SECRET_KEY: 'benchsecretkey' };
/** Both servers keep their objects under this prefix of their own bucket. */
const S3_ROOT = 'registry';

// ---- blobs, generated in memory ----
const POOL = Array.from({ length: 16 }, () => randomBytes(MB));
let blobCount = 0;
/** A new blob: its 1 MiB blocks (shared pool buffers, never written to) and digest. */
function newBlob(size = SIZE, prefix = null) {
  const first = Buffer.from(POOL[0]);
  first.write(`berth-compare ${process.pid} ${Date.now()} ${blobCount++}`, 0);
  const blocks = [];
  for (let at = 0, i = 0; at < size; at += MB, i++) {
    const block = i === 0 ? first : POOL[i % POOL.length];
    blocks.push(size - at < MB ? block.subarray(0, size - at) : block);
  }
  const hash = createHash('sha256');
  for (const b of blocks) hash.update(b);
  const digest = `sha256:${hash.digest('hex')}`;
  let checksum = null;
  if (prefix) {
    const h = createHash('sha256').update(prefix);
    for (const b of blocks) h.update(b);
    checksum = `sha256:${h.digest('hex')}`;
  }
  return { blocks, digest, size, checksum };
}

// ---- one HTTP request on a new connection (a reused idle one may be closed by the server
// just as it is reused), body written with backpressure, response drained ----
const agent = false;
function send(url, method, { headers = {}, blocks = null, body = null, keep = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      let size = 0;
      const parts = keep ? [] : null;
      res.on('data', (c) => {
        size += c.length;
        parts?.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, size, text: parts ? Buffer.concat(parts).toString() : '' }));
      res.on('error', reject);
    });
    req.setTimeout(10 * 60_000, () => req.destroy(new Error(`${method} ${url}: no progress for 10 min`)));
    req.on('error', reject);
    if (!blocks) return req.end(body);
    let i = 0;
    const more = () => {
      while (i < blocks.length) {
        if (!req.write(blocks[i++])) return req.once('drain', more);
      }
      req.end();
    };
    more();
  });
}
const expect = (what, res, status) => {
  if (res.status !== status) throw new Error(`${what}: ${res.status}, expected ${status}: ${res.text ?? ''}`);
  return res;
};
const octets = { 'Content-Type': 'application/octet-stream' };

// ---- the two servers ----
async function freePort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

async function startRegistry(dir, rgw) {
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  const root = path.join(dir, 'storage');
  mkdirSync(root, { recursive: true });
  const bucket = rgw ? await rgw.bucket('registry') : null;
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: error, accesslog: {disabled: true}}',
      'storage:',
      rgw
        ? `  s3: {accesskey: ${RGW_KEYS.RGW_ACCESS_KEY}, secretkey: ${RGW_KEYS.RGW_SECRET_KEY}, region: us-east-1, regionendpoint: "${rgw.endpoint}", bucket: ${bucket}, secure: false, v4auth: true, rootdirectory: /${S3_ROOT}}`
        : `  filesystem: {rootdirectory: ${root}}`,
      '  redirect: {disable: true}',
      '  delete: {enabled: true}',
      '  maintenance: {uploadpurging: {enabled: false}}',
      `http: {addr: "127.0.0.1:${port}"}`,
      '',
    ].join('\n'),
  );
  const proc = spawn(REGISTRY, ['serve', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopProc(proc);
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    if (proc.exitCode !== null) break;
    const ok = await send(`${url}/v2/`, 'GET').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { proc, url, stop, root, bucket };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${REGISTRY} did not start`);
}

async function stopProc(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  process.kill(proc.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, 'SIGKILL');
}

/** Both stores keep registry:2's layout: remove a blob's bytes (its links stay, never read again). */
async function dropBlob(server, digest) {
  const hex = digest.slice(7);
  const key = `docker/registry/v2/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
  if (server.bucket) await rgw.drop(server.bucket, `${S3_ROOT}/${key}`);
  else rmSync(path.join(server.root, path.dirname(key)), { recursive: true, force: true });
}

/** A throw-away Ceph RGW from the project's own script (scripts/services/rgw.sh), one bucket per server. */
async function startRgw(dir) {
  const RGW_PORT = String(await freePort());
  let MON_PORT = String(await freePort());
  while (MON_PORT === RGW_PORT) MON_PORT = String(await freePort());
  const env = { ...process.env, ...RGW_KEYS, RGW_DIR: dir, RGW_PORT, MON_PORT };
  const run = (cmd) => execFileSync('bash', [RGW_SCRIPT, cmd], { env, stdio: ['ignore', 'ignore', 'inherit'], timeout: 240_000 });
  run('start');
  const endpoint = `http://127.0.0.1:${RGW_PORT}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: RGW_KEYS.RGW_ACCESS_KEY, secretAccessKey: RGW_KEYS.RGW_SECRET_KEY },
  });
  return {
    endpoint,
    port: RGW_PORT,
    async bucket(name) {
      const bucket = `bench-${name}-${Date.now()}`;
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async drop(bucket, key) {
      await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: key }] } }));
    },
    stop() {
      client.destroy();
      run('stop');
    },
  };
}

// ---- measuring one phase on one server ----
/** user and system CPU seconds of a process so far (utime, stime of /proc/<pid>/stat; 100 ticks a second) */
function cpuSplit(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100 };
}

function resetPeak(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
function peakMiB(pid) {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

/** Run `fn` against `server`; its wall time, the server's CPU and peak RSS, the client's CPU. */
async function measure(server, fn) {
  const pid = server.proc.pid;
  resetPeak(pid);
  const cpu0 = cpuSplit(pid);
  const client0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const client = process.cpuUsage(client0);
  const cpu1 = cpuSplit(pid);
  const user = cpu1.user - cpu0.user;
  const sys = cpu1.sys - cpu0.sys;
  return { seconds, cpu: user + sys, user, rss: peakMiB(pid), clientCpu: (client.user + client.system) / 1e6, result };
}

// ---- the figures ----
/** POST a session, PUT the whole blob ?digest= (2.8.2 takes no body on the POST); the PUT's response. */
async function putBlob(server, repo, digest, payload) {
  const location = expect('session POST', await send(`${server.url}/v2/${repo}/blobs/uploads/`, 'POST', { keep: true }), 202).headers.location;
  const url = new URL(location, server.url);
  url.searchParams.set('digest', digest);
  const res = await send(url, 'PUT', { ...payload, headers: { ...octets, ...payload.headers }, keep: true });
  expect('blob PUT', res, 201);
  if (res.headers['docker-content-digest'] !== digest) throw new Error(`blob PUT: digest ${res.headers['docker-content-digest']}`);
  return res;
}

async function monolithic(server, repo) {
  const blob = newBlob();
  execFileSync('sync');
  const m = await measure(server, () => putBlob(server, repo, blob.digest, { blocks: blob.blocks, headers: { 'Content-Length': String(SIZE) } }));
  return { ...m, bytes: SIZE, digest: blob.digest };
}

async function chunked(server, repo) {
  const blob = newBlob();
  const perChunk = CHUNK / MB;
  execFileSync('sync');
  const m = await measure(server, async () => {
    let location = expect('session POST', await send(`${server.url}/v2/${repo}/blobs/uploads/`, 'POST', { keep: true }), 202).headers.location;
    for (let i = 0; i * CHUNK < SIZE; i++) {
      const start = i * CHUNK;
      const end = Math.min(start + CHUNK, SIZE) - 1;
      const res = await send(new URL(location, server.url), 'PATCH', {
        blocks: blob.blocks.slice(i * perChunk, (i + 1) * perChunk),
        headers: { ...octets, 'Content-Length': String(end - start + 1), 'Content-Range': `${start}-${end}` },
        keep: true,
      });
      expect(`PATCH ${start}-${end}`, res, 202);
      location = res.headers.location;
    }
    const url = new URL(location, server.url);
    url.searchParams.set('digest', blob.digest);
    const res = await send(url, 'PUT', { headers: { 'Content-Length': '0' }, keep: true });
    expect('closing PUT', res, 201);
  });
  return { ...m, bytes: SIZE, digest: blob.digest };
}

async function blobGet(server, repo, digest) {
  const m = await measure(server, async () => {
    const res = expect('GET blob', await send(`${server.url}/v2/${repo}/blobs/${digest}`, 'GET'), 200);
    if (res.size !== SIZE) throw new Error(`GET blob: ${res.size} bytes`);
  });
  return { ...m, bytes: SIZE };
}

/** 50 connections for SECONDS after a 1 s warm-up of 10. */
async function load(server, urlPath, method, headers = {}) {
  const opts = { url: server.url + urlPath, method, headers };
  if (method === 'HEAD') opts.setupClient = headWithoutBody;
  await autocannon({ ...opts, connections: 10, duration: 1 });
  const m = await measure(server, () => autocannon({ ...opts, connections: 50, duration: SECONDS }));
  const r = m.result;
  if (r.errors || r.non2xx || r.timeouts) throw new Error(`${method} ${urlPath}: ${r.errors} errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`);
  return { ...m, requests: r.requests.total, p99: r.latency.p99 };
}

async function v1Push(server, id) {
  const json = Buffer.from(JSON.stringify({ id, created: '2026-01-01T00:00:00Z' }));
  const blob = newBlob(SIZE, Buffer.concat([json, Buffer.from('\n')]));
  const base = server.url;
  expect('PUT json', await send(`${base}/v1/images/${id}/json`, 'PUT', { body: json, keep: true }), 200);
  execFileSync('sync');
  const m = await measure(server, async () => {
    const res = await send(`${base}/v1/images/${id}/layer`, 'PUT', { blocks: blob.blocks, headers: { ...octets, 'Content-Length': String(SIZE) }, keep: true });
    expect('PUT layer', res, 200);
  });
  expect('PUT checksum', await send(`${base}/v1/images/${id}/checksum`, 'PUT', { headers: { 'X-Docker-Checksum-Payload': blob.checksum }, keep: true }), 200);
  return { ...m, bytes: SIZE };
}

async function v1Pull(server, id) {
  const m = await measure(server, async () => {
    const res = expect('GET layer', await send(`${server.url}/v1/images/${id}/layer`, 'GET'), 200);
    if (res.size !== SIZE) throw new Error(`GET layer: ${res.size} bytes`);
  });
  return { ...m, bytes: SIZE };
}

/** Push the config, a manifest naming `layer`, under `repo:latest`. */
async function pushImage(server, repo, layer) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer] } }));
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  await putBlob(server, repo, configDigest, { body: config, headers: {} });
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: SIZE, digest: layer }],
  });
  expect(
    'manifest PUT',
    await send(`${server.url}/v2/${repo}/manifests/latest`, 'PUT', { body: manifest, headers: { 'Content-Type': OCI_MANIFEST }, keep: true }),
    201,
  );
}

/** A verifying GET, untimed: the stored blob hashes to its digest. */
async function verify(server, repo, digest) {
  await new Promise((resolve, reject) => {
    http
      .get(`${server.url}/v2/${repo}/blobs/${digest}`, { agent }, (res) => {
        const h = createHash('sha256');
        res.on('data', (c) => h.update(c));
        res.on('end', () => (`sha256:${h.digest('hex')}` === digest ? resolve() : reject(new Error(`${server.name}: stored blob does not match ${digest}`))));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

// ---- the run ----
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-compare-'));
const load0 = os.loadavg();
const servers = [];
let rgw = null;
const results = new Map(); // figure -> server name -> [measurements]
const record = (figure, name, m) => {
  if (!results.has(figure)) results.set(figure, { berth: [], registry: [] });
  results.get(figure)[name].push(m);
};

try {
  const berthRoot = path.join(work, 'berth');
  const profile = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
  if (S3) rgw = await startRgw(path.join(work, 'rgw'));
  if (ONLY !== 'registry') {
    const bucket = rgw ? await rgw.bucket('berth') : null;
    const env = bucket
      ? {
          SETTINGS_FLAVOR: 's3',
          AWS_BUCKET: bucket,
          AWS_KEY: RGW_KEYS.RGW_ACCESS_KEY,
          AWS_SECRET: RGW_KEYS.RGW_SECRET_KEY,
          AWS_HOST: '127.0.0.1',
          AWS_PORT: rgw.port,
          AWS_SECURE: 'false',
          AWS_ENCRYPT: 'false',
          AWS_REGION: 'us-east-1',
          STORAGE_PATH: `/${S3_ROOT}`,
        }
      : { STORAGE_PATH: berthRoot, SETTINGS_FLAVOR: 'dev' };
    const bridge = args['no-bridge'] ? { BRIDGE: 'false' } : {};
    const berth = await startBerth({ ...env, ...bridge, DEBUG: 'false', STANDALONE: 'true' }, profile);
    servers.push(Object.assign(berth, { name: 'berth', root: berthRoot, bucket }));
  }
  if (ONLY !== 'berth') {
    try {
      const registry = await startRegistry(path.join(work, 'registry'), rgw);
      servers.push(Object.assign(registry, { name: 'registry' }));
    } catch (err) {
      // Debian's 2.8.2 build panics at start with any s3 storage here ("unsupported transport,
      // *transport.transport", handlers/app.go:127): Berth's figures are still worth having.
      if (!S3 || servers.length === 0) throw err;
      console.error(`2.8.2 did not start on S3 (${err.message}); Berth alone`);
    }
  }
  const [A, B = A] = servers;
  const order = servers.length === 2 ? [A, B, B, A] : [A, A];
  const want = (f) => FIGURES.has(f);
  const gets = new Map(); // server name -> digest the GETs use

  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, server] of (want('mono') || want('get') ? order : []).entries()) {
      if (!want('mono') && gets.has(server.name)) continue;
      const m = await monolithic(server, `bench/mono${round}-${i}`);
      record('monolithic upload', server.name, m);
      if (!gets.has(server.name)) gets.set(server.name, { repo: `bench/mono${round}-${i}`, digest: m.digest });
      else await dropBlob(server, m.digest);
    }
    for (const [i, server] of (want('chunked') ? order : []).entries()) {
      const m = await chunked(server, `bench/chunked${round}-${i}`);
      record('chunked upload (64 MiB PATCH)', server.name, m);
      await dropBlob(server, m.digest);
    }
    if (round === 0 && gets.size > 0) {
      for (const server of servers) {
        const { repo, digest } = gets.get(server.name);
        await verify(server, repo, digest);
        await pushImage(server, repo, digest);
      }
    }
    for (const server of want('get') ? order : []) {
      const { repo, digest } = gets.get(server.name);
      record('blob GET', server.name, await blobGet(server, repo, digest));
    }
    for (const server of want('manifest') && gets.size ? order : []) {
      const { repo } = gets.get(server.name);
      record('manifest GET', server.name, await load(server, `/v2/${repo}/manifests/latest`, 'GET', { Accept: OCI_MANIFEST }));
    }
    for (const server of want('head') && gets.size ? order : []) {
      const { repo, digest } = gets.get(server.name);
      record('blob HEAD', server.name, await load(server, `/v2/${repo}/blobs/${digest}`, 'HEAD'));
    }
    for (const server of want('ping') ? order : []) record('GET /v2/', server.name, await load(server, '/v2/', 'GET'));
    // Berth's V1 layer, beside its own V2 figures (2.8.2 has no V1).
    for (const k of want('v1') && A.name === 'berth' ? [0, 1] : []) {
      const id = createHash('sha256').update(`v1 ${process.pid} ${round} ${k}`).digest('hex');
      record('V1 layer push (Berth)', 'berth', await v1Push(A, id));
      record('V1 layer pull (Berth)', 'berth', await v1Pull(A, id));
      if (A.bucket) await rgw.drop(A.bucket, `${S3_ROOT}/images/${id}/layer`);
      else rmSync(path.join(berthRoot, 'images', id, 'layer'), { force: true });
    }
  }
} finally {
  for (const s of servers) await s.stop();
  rgw?.stop();
  rmSync(work, { recursive: true, force: true });
}

// ---- the table ----
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '-');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : '-');
function summary(ms) {
  if (ms.length === 0) return null;
  const transfer = ms[0].bytes !== undefined;
  const seconds = ms.reduce((s, m) => s + m.seconds, 0);
  const cpu = ms.reduce((s, m) => s + m.cpu, 0);
  const user = ms.reduce((s, m) => s + m.user, 0);
  const client = ms.reduce((s, m) => s + m.clientCpu, 0);
  if (transfer) {
    const gib = ms.reduce((s, m) => s + m.bytes, 0) / GiB;
    return {
      rate: (gib * 1024) / seconds,
      unit: 'MB/s',
      cpu: cpu / gib,
      user: user / gib,
      cpuUnit: 's/GiB',
      rss: Math.max(...ms.map((m) => m.rss)),
      client: client / seconds,
      runs: ms.map((m) => (m.bytes / MB / m.seconds).toFixed(0)).join(' '),
    };
  }
  const requests = ms.reduce((s, m) => s + m.requests, 0);
  return {
    rate: requests / seconds,
    unit: 'req/s',
    cpu: (1000 * cpu) / requests,
    user: (1000 * user) / requests,
    cpuUnit: 's/1000 req',
    rss: Math.max(...ms.map((m) => m.rss)),
    client: client / seconds,
    p99: Math.max(...ms.map((m) => m.p99)),
    runs: ms.map((m) => (m.requests / m.seconds).toFixed(0)).join(' '),
  };
}
const load1 = os.loadavg();
console.log(
  `Berth vs Debian docker-registry 2.8.2, ${args.storage} storage, ${SIZE / MB} MiB blob, ${ROUNDS} round(s) of A B B A, loads 50 connections x ${SECONDS} s; node ${process.version}, ${os.cpus().length} cores shared by servers and client`,
);
console.log(
  `load average (1 min) ${load0[0].toFixed(2)} at the start, ${load1[0].toFixed(2)} at the end; ratio = Berth / 2.8.2 (for CPU and RSS lower is better)`,
);
const cols = ['figure', 'Berth', '2.8.2', 'ratio', 'CPU Berth', 'CPU 2.8.2', 'ratio', 'RSS MiB B / 2.8.2', 'client CPU', 'runs Berth | 2.8.2'];
const rows = [];
for (const [figure, byServer] of results) {
  const b = summary(byServer.berth);
  const r = summary(byServer.registry);
  const any = b ?? r;
  const both = b && r;
  const p99 = any.p99 !== undefined ? ` p99 ${b?.p99 ?? '-'}/${r?.p99 ?? '-'} ms` : '';
  const clientCores = Math.max(b?.client ?? 0, r?.client ?? 0);
  rows.push([
    figure,
    b ? `${fmt(b.rate)} ${b.unit}` : '-',
    r ? `${fmt(r.rate)} ${r.unit}` : '-',
    both ? ratio(b.rate, r.rate) : '-',
    b ? `${fmt(b.cpu, 2)} (user ${fmt(b.user, 2)}) ${b.cpuUnit}` : '-',
    r ? `${fmt(r.cpu, 2)} (user ${fmt(r.user, 2)}) ${r.cpuUnit}` : '-',
    both ? ratio(b.cpu, r.cpu) : '-',
    `${b ? fmt(b.rss) : '-'}${b && b.rss >= RSS_TARGET ? ' (OVER)' : ''} / ${r ? fmt(r.rss) : '-'}`,
    `${(100 * clientCores).toFixed(0)}% of a core${clientCores > 0.9 ? ' (SATURATED)' : ''}${p99}`,
    `${b?.runs ?? '-'} | ${r?.runs ?? '-'}`,
  ]);
}
const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((row) => row[i].length)));
const line = (row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ');
console.log(line(cols));
for (const row of rows) console.log(line(row));
