// V1 on loopback with local storage: push and pull of one large layer (default 1 GiB) beside a
// plain cp + sync and cat of the same file and beside bench/bare-server.mjs (the same required
// work in bare Node), the server's peak RSS per phase, and requests/s of
// GET /v1/repositories/<repo>/tags and GET /v1/images/<id>/json with 50 connections for 10 s.
// Run: npm run bench:v1   (BENCH_MB=256 for a quicker run)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { MB, memoryOf, request, startBareServer, startBerth, timed, writeRandomFile } from './common.mjs';

const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-v1-'));
const source = path.join(work, 'layer.tar');
const id = 'be'.repeat(32);
const json = Buffer.from(JSON.stringify({ id, created: '2026-01-01T00:00:00Z' }));

// The layer, made once; its payload checksum is computed here, outside the timings.
const hash = createHash('sha256').update(json).update('\n');
await writeRandomFile(source, SIZE, hash);
const checksum = `sha256:${hash.digest('hex')}`;
/** the status of one request (bench/common.mjs request) */
const statusOf = async (...args) => (await request(...args)).status;
const mbps = (ms) => (SIZE / MB / (ms / 1000)).toFixed(0);

execFileSync('sync');
const cpMs = await timed(async () => execFileSync('sh', ['-c', `cp '${source}' '${work}/copy' && sync '${work}/copy'`]));
const catMs = await timed(async () => execFileSync('sh', ['-c', `cat '${work}/copy' > /dev/null`]));
rmSync(`${work}/copy`);

// The same push and pull against bench/bare-server.mjs: the floor of Node, loopback and disk.
const bare = await startBareServer(work);
let bareMs;
try {
  execFileSync('sync');
  const pushMs = await timed(async () => {
    const status = await statusOf(`${bare.url}/layer`, 'PUT', { body: createReadStream(source, { highWaterMark: MB }) });
    if (status !== 200) throw new Error(`bare PUT: ${status}`);
  });
  const pullMs = await timed(() => request(`${bare.url}/layer`, 'GET'));
  bareMs = { push: pushMs, pull: pullMs };
} finally {
  await bare.stop();
  rmSync(`${work}/layer`, { force: true });
}

const berth = await startBerth({ STORAGE_PATH: path.join(work, 'storage'), SETTINGS_FLAVOR: 'dev', DEBUG: 'false', STANDALONE: 'true' });
const pid = berth.proc.pid;
const resetPeak = () => writeFileSync(`/proc/${pid}/clear_refs`, '5');
try {
  const base = berth.url;
  if ((await statusOf(`${base}/v1/images/${id}/json`, 'PUT', { body: json })) !== 200) throw new Error('PUT json failed');
  execFileSync('sync');
  resetPeak();
  const pushMs = await timed(async () => {
    const status = await statusOf(`${base}/v1/images/${id}/layer`, 'PUT', {
      body: createReadStream(source, { highWaterMark: MB }),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (status !== 200) throw new Error(`PUT layer: ${status}`);
  });
  const pushPeak = memoryOf(pid).peakMiB;
  if ((await statusOf(`${base}/v1/images/${id}/checksum`, 'PUT', { headers: { 'X-Docker-Checksum-Payload': checksum } })) !== 200)
    throw new Error('checksum refused');
  await statusOf(`${base}/v1/repositories/ns/repo/tags/latest`, 'PUT', { body: `"${id}"` });
  resetPeak();
  const pullMs = await timed(async () => {
    if ((await statusOf(`${base}/v1/images/${id}/layer`, 'GET')) !== 200) throw new Error('GET layer failed');
  });
  const pullPeak = memoryOf(pid).peakMiB;

  const load = async (p) => {
    await autocannon({ url: base + p, connections: 10, duration: 1 }); // warm-up
    return autocannon({ url: base + p, connections: 50, duration: SECONDS });
  };
  const tags = await load('/v1/repositories/ns/repo/tags');
  const imageJson = await load(`/v1/images/${id}/json`);
  const after = memoryOf(pid);

  console.log(`V1 on loopback, local storage, ${SIZE / MB} MiB layer; node ${process.version}, ${os.cpus().length} cores (server and client share them)`);
  console.log(
    `push (PUT layer, payload checksum computed while streaming)  ${mbps(pushMs)} MB/s   vs cp + sync ${mbps(cpMs)} MB/s   (${((100 * cpMs) / pushMs).toFixed(0)}%)   server peak RSS ${pushPeak.toFixed(0)} MiB`,
  );
  console.log(
    `pull (GET layer)                                             ${mbps(pullMs)} MB/s   vs cat ${mbps(catMs)} MB/s   (${((100 * catMs) / pullMs).toFixed(0)}%)   server peak RSS ${pullPeak.toFixed(0)} MiB`,
  );
  console.log(
    `bare Node server, same client (sha256 while streaming, flush, rename; see bench/bare-server.mjs; one run each, not paired): push ${mbps(bareMs.push)} MB/s, pull ${mbps(bareMs.pull)} MB/s; Berth at ${((100 * bareMs.push) / pushMs).toFixed(0)}% and ${((100 * bareMs.pull) / pullMs).toFixed(0)}% of it`,
  );
  for (const [label, r] of [
    ['GET /v1/repositories/ns/repo/tags', tags],
    ['GET /v1/images/<id>/json', imageJson],
  ]) {
    console.log(
      `${label.padEnd(36)} ${Math.round(r.requests.average)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx} (50 connections, ${SECONDS} s)`,
    );
  }
  console.log(`server RSS after the load ${after.rssMiB.toFixed(0)} MiB, peak over the run ${after.peakMiB.toFixed(0)} MiB`);
} finally {
  await berth.stop();
  rmSync(work, { recursive: true, force: true });
}
