// Workers: requests/s of manifest GET and HEAD and of the tag list with 50 connections, for
// `workers: 1` and `workers: 2` (BERTH_WORKERS), and their ratio; then a 1 GiB blob push
// (monolithic, one connection) with 1 and with 2 workers. Loopback, local storage; the load
// generator (autocannon) runs in this process and shares the cores with the server.
// Run: npm run bench:workers   (BENCH_SECONDS=5 BENCH_MB=256 for a quicker run)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { headWithoutBody, MB, ROOT, request, timed, writeRandomFile } from './common.mjs';

const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-workers-'));
const source = path.join(work, 'blob.bin');
const hash = createHash('sha256');
await writeRandomFile(source, SIZE, hash);
const digest = `sha256:${hash.digest('hex')}`;

/** `node dist` with `workers` workers; resolves once every worker listens. */
async function start(workers, storage) {
  const env = { PATH: process.env.PATH, REGISTRY_HOST: '127.0.0.1', REGISTRY_PORT: '0', LOGLEVEL: 'warning', SETTINGS_FLAVOR: 'dev' };
  Object.assign(env, { STORAGE_PATH: storage, STANDALONE: 'true', BERTH_WORKERS: String(workers), DEBUG: 'false' });
  // A fixed port: with several workers, port 0 would give each its own.
  const probe = (await import('node:net')).createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  env.REGISTRY_PORT = String(probe.address().port);
  await new Promise((r) => probe.close(r));
  const proc = spawn(process.execPath, [path.join(ROOT, 'dist')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (c) => {
    out += c;
  });
  const deadline = Date.now() + 60_000;
  while ((out.match(/listening on/g) ?? []).length < workers) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`berth did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = `http://127.0.0.1:${env.REGISTRY_PORT}`;
  const stop = async () => {
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (proc.exitCode === null) proc.kill('SIGKILL');
  };
  return { url, stop };
}

/** A one-layer image `bench/app:latest`, so that there is a manifest and a tag list to read. */
async function pushImage(url) {
  const put = async (body) => {
    const d = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const res = await request(`${url}/v2/bench/app/blobs/uploads/?digest=${d}`, 'POST', { body, headers: { 'Content-Length': String(body.length) } });
    if (res.status !== 201) throw new Error(`blob: ${res.status}`);
    return { digest: d, size: body.length };
  };
  const layer = await put(Buffer.from('a small layer'));
  const config = await put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.digest] } })));
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...layer }],
  });
  const res = await request(`${url}/v2/bench/app/manifests/latest`, 'PUT', { body: manifest, headers: { 'Content-Type': MANIFEST } });
  if (res.status !== 201) throw new Error(`manifest: ${res.status}`);
}

async function rate(url, method, pathname) {
  const opts = { url: `${url}${pathname}`, method, headers: { Accept: MANIFEST }, ...(method === 'HEAD' ? { setupClient: headWithoutBody } : {}) };
  await autocannon({ ...opts, connections: 10, duration: 1 }); // warm-up
  const r = await autocannon({ ...opts, connections: 50, duration: SECONDS });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`${method} ${pathname}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.requests.average;
}

const results = {};
for (const workers of [1, 2]) {
  const storage = path.join(work, `storage-${workers}`);
  const berth = await start(workers, storage);
  try {
    await pushImage(berth.url);
    const get = await rate(berth.url, 'GET', '/v2/bench/app/manifests/latest');
    const head = await rate(berth.url, 'HEAD', '/v2/bench/app/manifests/latest');
    const tags = await rate(berth.url, 'GET', '/v2/bench/app/tags/list');
    const pushMs = await timed(async () => {
      const res = await request(`${berth.url}/v2/bench/big/blobs/uploads/?digest=${digest}`, 'POST', {
        body: createReadStream(source, { highWaterMark: MB }),
        headers: { 'Content-Length': String(SIZE) },
      });
      if (res.status !== 201) throw new Error(`push: ${res.status}`);
    });
    results[workers] = { get, head, tags, pushMBs: SIZE / MB / (pushMs / 1000) };
  } finally {
    await berth.stop();
    rmSync(storage, { recursive: true, force: true });
  }
}
rmSync(work, { recursive: true, force: true });

const one = results[1];
const two = results[2];
console.log(
  `workers on loopback, local storage; node ${process.version}, ${os.cpus().length} cores shared by the server and autocannon; 50 connections, ${SECONDS} s each`,
);
const row = (label, a, b, unit) =>
  console.log(`${label.padEnd(36)} ${a.toFixed(0).padStart(7)} ${unit}  ${b.toFixed(0).padStart(7)} ${unit}  ratio ${(b / a).toFixed(2)}x`);
console.log(`${''.padEnd(36)} ${'workers: 1'.padStart(11)}  ${'workers: 2'.padStart(11)}`);
row('GET /v2/<name>/manifests/<tag>', one.get, two.get, 'req/s');
row('HEAD /v2/<name>/manifests/<tag>', one.head, two.head, 'req/s');
row('GET /v2/<name>/tags/list', one.tags, two.tags, 'req/s');
row(`push of a ${SIZE / MB} MiB blob (monolithic)`, one.pushMBs, two.pushMBs, 'MB/s ');
console.log('target: at least 1.6x requests/s with 2 workers on a 2-core machine; the push no slower with 2 workers');
