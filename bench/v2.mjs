// V2/OCI on loopback with local storage: monolithic and chunked (64 MiB PATCHes) upload and pull
// of one large blob (default 1 GiB) beside a plain cp + sync and cat of the same file and
// beside bench/bare-server.mjs (the same required work in bare Node), the
// server's peak RSS per phase, and requests/s of HEAD and GET /v2/<name>/manifests/<tag> with
// 50 connections for 10 s each.
// Each upload kind runs twice (A B B A) and its mean is printed.
// Run: npm run bench:v2   (BENCH_MB=256 for a quicker run)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { headWithoutBody, MB, memoryOf, request, startBareServer, startBerth, timed, writeRandomFile } from './common.mjs';

const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CHUNK = 64 * MB;
const TARGET_MIB = 150;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-v2-'));
const source = path.join(work, 'blob.bin');

// The blob, made once; its digest is computed here, outside the timings.
const hash = createHash('sha256');
await writeRandomFile(source, SIZE, hash);
const digest = `sha256:${hash.digest('hex')}`;
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digest] } }));
const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
const manifest = JSON.stringify({
  schemaVersion: 2,
  mediaType: OCI_MANIFEST,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest },
  layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: SIZE, digest }],
});
const mbps = (ms) => (SIZE / MB / (ms / 1000)).toFixed(0);

const expect = (what, res, status) => {
  if (res.status !== status) throw new Error(`${what}: ${res.status}, expected ${status}`);
  return res;
};

execFileSync('sync');
const cpMs = await timed(async () => execFileSync('sh', ['-c', `cp '${source}' '${work}/copy' && sync '${work}/copy'`]));
const catMs = await timed(async () => execFileSync('sh', ['-c', `cat '${work}/copy' > /dev/null`]));
rmSync(`${work}/copy`);

// The same upload and pull against bench/bare-server.mjs: the floor of Node, loopback and disk.
const bare = await startBareServer(work);
let bareMs;
try {
  execFileSync('sync');
  const pushMs = await timed(async () => {
    const res = await request(`${bare.url}/blob`, 'PUT', {
      body: createReadStream(source, { highWaterMark: MB }),
      headers: { 'Content-Length': String(SIZE) },
    });
    expect('bare PUT', res, 200);
  });
  const pullMs = await timed(async () => {
    const res = expect('bare GET', await request(`${bare.url}/blob`, 'GET', { sha256: true }), 200);
    if (res.digest !== digest) throw new Error(`bare GET: ${res.digest}`);
  });
  bareMs = { push: pushMs, pull: pullMs };
} finally {
  await bare.stop();
  rmSync(`${work}/blob`, { force: true });
}

const berth = await startBerth({ STORAGE_PATH: path.join(work, 'storage'), SETTINGS_FLAVOR: 'dev', DEBUG: 'false', STANDALONE: 'true' });
const pid = berth.proc.pid;
const idle = memoryOf(pid);
const resetPeak = () => writeFileSync(`/proc/${pid}/clear_refs`, '5');
const peaks = [];
const peak = () => {
  const p = memoryOf(pid).peakMiB;
  peaks.push(p);
  return p;
};
try {
  const base = berth.url;
  const octets = { 'Content-Type': 'application/octet-stream' };

  // 1. Monolithic: one POST ?digest= streaming the whole file.
  const monolithic = (repo) =>
    timed(async () => {
      const res = await request(`${base}/v2/${repo}/blobs/uploads/?digest=${digest}`, 'POST', {
        body: createReadStream(source, { highWaterMark: MB }),
        headers: { ...octets, 'Content-Length': String(SIZE) },
      });
      expect('monolithic POST', res, 201);
      if (res.headers['docker-content-digest'] !== digest) throw new Error(`monolithic POST: Docker-Content-Digest ${res.headers['docker-content-digest']}`);
    });

  // 2. Chunked: POST, PATCHes of 64 MiB with Content-Range, then PUT ?digest=.
  const chunks = Math.ceil(SIZE / CHUNK);
  const chunked = (repo) =>
    timed(async () => {
      let location = expect('session POST', await request(`${base}/v2/${repo}/blobs/uploads/`, 'POST'), 202).headers.location;
      for (let i = 0; i < chunks; i++) {
        const start = i * CHUNK;
        const end = Math.min(start + CHUNK, SIZE) - 1;
        const res = await request(new URL(location, base), 'PATCH', {
          body: createReadStream(source, { start, end, highWaterMark: MB }),
          headers: { ...octets, 'Content-Length': String(end - start + 1), 'Content-Range': `${start}-${end}` },
        });
        expect(`PATCH ${start}-${end}`, res, 202);
        if (res.headers.range !== `0-${end}`) throw new Error(`PATCH ${start}-${end}: Range ${res.headers.range}`);
        location = res.headers.location;
      }
      const url = new URL(location, base);
      url.searchParams.set('digest', digest);
      const res = await request(url, 'PUT', { headers: { 'Content-Length': '0' } });
      expect('closing PUT', res, 201);
      if (res.headers['docker-content-digest'] !== digest) throw new Error(`closing PUT: Docker-Content-Digest ${res.headers['docker-content-digest']}`);
    });

  // Each kind twice, in the order A B B A: on this kind of VM disk a GiB written right after
  // another one goes markedly slower (the second of two monolithic uploads, even from a new
  // server process, measured 250-330 against 375-520 MB/s), so whichever ran second would lose.
  const uploads = { mono: [], chunked: [] };
  let monoPeak = 0;
  let chunkedPeak = 0;
  for (const [kind, repo] of [
    ['mono', 'bench/mono'],
    ['chunked', 'bench/chunked'],
    ['chunked', 'bench/chunked2'],
    ['mono', 'bench/mono2'],
  ]) {
    execFileSync('sync');
    resetPeak();
    uploads[kind].push(await (kind === 'mono' ? monolithic(repo) : chunked(repo)));
    if (kind === 'mono') monoPeak = Math.max(monoPeak, peak());
    else chunkedPeak = Math.max(chunkedPeak, peak());
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const monoMs = mean(uploads.mono);
  const chunkedMs = mean(uploads.chunked);

  // The image, for the manifest load below.
  const configRes = await request(`${base}/v2/bench/chunked/blobs/uploads/?digest=${configDigest}`, 'POST', { body: config, headers: octets });
  expect('config POST', configRes, 201);
  expect('manifest PUT', await request(`${base}/v2/bench/chunked/manifests/latest`, 'PUT', { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } }), 201);

  // 3. Pull: GET of the blob, hashed while it streams (as a client verifying it would).
  resetPeak();
  let pulled;
  const pullMs = await timed(async () => {
    pulled = expect('GET blob', await request(`${base}/v2/bench/chunked/blobs/${digest}`, 'GET', { sha256: true }), 200);
  });
  const pullPeak = peak();
  if (pulled.size !== SIZE || pulled.digest !== digest) throw new Error(`pulled ${pulled.size} bytes, ${pulled.digest}; pushed ${SIZE} bytes, ${digest}`);

  // 4. Manifest HEAD and GET under load.
  const load = async (method) => {
    const opts = { url: `${base}/v2/bench/chunked/manifests/latest`, method, headers: { Accept: OCI_MANIFEST } };
    if (method === 'HEAD') opts.setupClient = headWithoutBody;
    await autocannon({ ...opts, connections: 10, duration: 1 }); // warm-up
    resetPeak();
    const r = await autocannon({ ...opts, connections: 50, duration: SECONDS });
    return [r, peak()];
  };
  const [head, headPeak] = await load('HEAD');
  const [get, getPeak] = await load('GET');
  const after = memoryOf(pid);

  const verdict = (mib) => `${mib.toFixed(0)} MiB (${mib <= TARGET_MIB ? 'within' : 'OVER'} the ${TARGET_MIB} MB target)`;
  const pct = (refMs, ms) => `${((100 * refMs) / ms).toFixed(0)}%`;
  console.log(`V2/OCI on loopback, local storage, ${SIZE / MB} MiB blob; node ${process.version}, ${os.cpus().length} cores (server and client share them)`);
  console.log(`cp + sync ${mbps(cpMs)} MB/s, cat (warm) ${mbps(catMs)} MB/s; server RSS when started ${idle.rssMiB.toFixed(0)} MiB`);
  console.log(
    `monolithic upload (POST ?digest=)                        ${mbps(monoMs).padStart(5)} MB/s   ${pct(cpMs, monoMs).padStart(4)} of cp + sync   server peak RSS ${verdict(monoPeak)}; runs ${uploads.mono.map(mbps).join(' and ')} MB/s`,
  );
  console.log(
    `chunked upload (POST, ${String(chunks).padStart(2)} x 64 MiB PATCH, PUT ?digest=) ${mbps(chunkedMs).padStart(5)} MB/s   ${pct(cpMs, chunkedMs).padStart(4)} of cp + sync   server peak RSS ${verdict(chunkedPeak)}; runs ${uploads.chunked.map(mbps).join(' and ')} MB/s`,
  );
  console.log(
    `pull (GET blob, hashed; digest verified)                 ${mbps(pullMs).padStart(5)} MB/s   ${pct(catMs, pullMs).padStart(4)} of cat         server peak RSS ${verdict(pullPeak)}`,
  );
  console.log(
    `bare Node server, same client (sha256 while streaming, flush, rename; see bench/bare-server.mjs; one run each, not paired): upload ${mbps(bareMs.push)} MB/s, pull ${mbps(bareMs.pull)} MB/s; Berth at ${pct(bareMs.push, monoMs)} (monolithic) and ${pct(bareMs.pull, pullMs)} of it`,
  );
  for (const [label, r, p] of [
    ['HEAD /v2/<name>/manifests/<tag>', head, headPeak],
    ['GET /v2/<name>/manifests/<tag>', get, getPeak],
  ]) {
    console.log(
      `${label.padEnd(32)} ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx} (50 connections, ${SECONDS} s); server peak RSS ${verdict(p)}`,
    );
  }
  console.log(`server RSS after the load ${verdict(after.rssMiB)}; highest phase peak ${verdict(Math.max(...peaks))}`);
} finally {
  await berth.stop();
  rmSync(work, { recursive: true, force: true });
}
