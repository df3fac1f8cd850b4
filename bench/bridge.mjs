// What the V1 ⇄ V2 bridge costs. Two servers on loopback, local storage, one with `bridge: true`
// and one with `bridge: false`, under the same client in one run:
//  1. a V1 push of one large gzip layer (default 1 GiB; json, layer, checksum, tag), in the order
//     on off off on on off, with MB/s, the server's CPU seconds per GiB, and (bridge on) the time until
//     the V2 view of the tag answers and the CPU it took (the layer's DiffID is computed after
//     the push, off its path);
//  2. a 20-image V1 chain: the latency of the first V2 manifest GET after the push, and of the next.
// Run: npm run bench:bridge   (BENCH_MB=256 for a quicker run)
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { cpuOf, MB, request, startBerth, timed } from './common.mjs';

const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const CHAIN = 20;
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-bridge-'));
/** the status of one request (bench/common.mjs request) */
const statusOf = async (...args) => (await request(...args)).status;

/**
 * A gzip layer of about SIZE bytes that compresses like real ones (about 2:1): a tar of 1 MiB
 * files, each half random and half text, gzip level 1. Made once, outside the timings.
 */
async function makeLayer(file) {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog 0123456789\n'.repeat(20_000)).subarray(0, MB / 2);
  const header = (name, size) => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    h.write('14755550000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return h;
  };
  const files = Math.max(1, Math.round(SIZE / (MB * 0.55)));
  async function* tar() {
    for (let i = 0; i < files; i++) {
      yield header(`data/file-${i}`, MB);
      yield randomBytes(MB / 2);
      yield text;
    }
    yield Buffer.alloc(1024);
  }
  await pipeline(tar, createGzip({ level: 1 }), createWriteStream(file));
}

function configFor(bridge) {
  const dir = path.join(work, `store-${bridge ? 'on' : 'off'}`);
  const config = path.join(work, `config-${bridge ? 'on' : 'off'}.yml`);
  writeFileSync(
    config,
    `bench:\n  storage: local\n  storage_path: ${dir}\n  standalone: true\n  loglevel: warning\n  bridge: ${bridge}\n  lock_dir: ${dir}-locks\n`,
  );
  return { DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'bench' };
}

const sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h;
};

const layerFile = path.join(work, 'layer.tar.gz');
await makeLayer(layerFile);
const layerSize = statSync(layerFile).size;

const servers = { on: await startBerth(configFor(true)), off: await startBerth(configFor(false)) };
const results = { on: [], off: [] };
let round = 0;
try {
  /** One V1 push of the big layer, tagged `round<N>`; returns MB/s and CPU s/GiB, and for bridge on the V2 view's readiness. */
  async function push(which) {
    const srv = servers[which];
    const pid = srv.proc.pid;
    const id = createHash('sha256').update(`bench-${which}-${round++}`).digest('hex');
    const json = Buffer.from(JSON.stringify({ id, created: '2026-01-01T00:00:00.000000001Z', container_config: { Cmd: ['/bin/sh', '-c', 'bench'] } }));
    const payload = sha256(json, '\n');
    for await (const c of createReadStream(layerFile, { highWaterMark: MB })) payload.update(c);
    const checksum = `sha256:${payload.digest('hex')}`;
    const tag = `round${round}`;
    const cpu0 = cpuOf(pid);
    const ms = await timed(async () => {
      if ((await statusOf(`${srv.url}/v1/images/${id}/json`, 'PUT', { body: json })) !== 200) throw new Error('PUT json');
      const s = await statusOf(`${srv.url}/v1/images/${id}/layer`, 'PUT', { body: createReadStream(layerFile, { highWaterMark: MB }) });
      if (s !== 200) throw new Error(`PUT layer ${s}`);
      if ((await statusOf(`${srv.url}/v1/images/${id}/checksum`, 'PUT', { headers: { 'X-Docker-Checksum-Payload': checksum } })) !== 200)
        throw new Error('PUT checksum');
      if ((await statusOf(`${srv.url}/v1/repositories/bench/app/tags/${tag}`, 'PUT', { body: `"${id}"` })) !== 200) throw new Error('PUT tag');
    });
    const cpuPush = cpuOf(pid) - cpu0;
    let viewMs = null;
    let cpuView = null;
    if (which === 'on') {
      // A V2 client asking right after the push: the answer waits for the view when it is not written yet.
      const t = performance.now();
      const s = await statusOf(`${srv.url}/v2/bench/app/manifests/${tag}`, 'GET', {
        headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      if (s !== 200) throw new Error(`V2 GET ${s}`);
      viewMs = performance.now() - t;
      cpuView = cpuOf(pid) - cpu0;
    }
    return {
      mbps: layerSize / MB / (ms / 1000),
      cpuPerGiB: (cpuPush * 1024 * MB) / layerSize,
      viewMs,
      cpuViewPerGiB: cpuView === null ? null : (cpuView * 1024 * MB) / layerSize,
    };
  }

  // The disk slows down as it fills with dirty pages: each push starts after a sync, and the
  // two settings alternate (on off off on on off) so that both see early and late rounds.
  for (const which of ['on', 'off', 'off', 'on', 'on', 'off']) {
    execFileSync('sync');
    results[which].push(await push(which));
  }

  // A 20-image chain of small layers: the V2 manifest GET that follows the push.
  const chain = [];
  for (let i = 0; i < CHAIN; i++) {
    const id = createHash('sha256').update(`chain-${i}`).digest('hex');
    const json = Buffer.from(JSON.stringify({ id, ...(i > 0 ? { parent: chain[i - 1].id } : {}), created: `2026-01-01T00:00:${String(i).padStart(2, '0')}Z` }));
    const tarred = Buffer.concat([Buffer.from(`layer ${i}`.padEnd(512, ' ')), Buffer.alloc(1024)]);
    const layer = await new Promise((resolve) => {
      const gz = createGzip();
      const parts = [];
      gz.on('data', (c) => parts.push(c));
      gz.on('end', () => resolve(Buffer.concat(parts)));
      gz.end(tarred);
    });
    chain.push({ id, json, layer });
  }
  const base = servers.on.url;
  for (const { id, json, layer } of chain) {
    await statusOf(`${base}/v1/images/${id}/json`, 'PUT', { body: json });
    await statusOf(`${base}/v1/images/${id}/layer`, 'PUT', { body: layer });
    await statusOf(`${base}/v1/images/${id}/checksum`, 'PUT', {
      headers: { 'X-Docker-Checksum-Payload': `sha256:${sha256(json, '\n', layer).digest('hex')}` },
    });
  }
  await statusOf(`${base}/v1/repositories/bench/chain/tags/latest`, 'PUT', { body: `"${chain.at(-1).id}"` });
  const accept = { Accept: 'application/vnd.docker.distribution.manifest.v2+json' };
  const firstMs = await timed(() => request(`${base}/v2/bench/chain/manifests/latest`, 'GET', { headers: accept }));
  const nextMs = await timed(() => request(`${base}/v2/bench/chain/manifests/latest`, 'GET', { headers: accept }));

  const mean = (xs, key) => xs.reduce((a, x) => a + x[key], 0) / xs.length;
  const fmt = (n, d = 0) => (n === null ? '-' : n.toFixed(d));
  console.log(
    `bridge cost on loopback, local storage, one ${(layerSize / MB).toFixed(0)} MiB gzip layer; node ${process.version}, ${os.cpus().length} cores (server and client share them)`,
  );
  for (const which of ['on', 'off']) {
    const rs = results[which];
    console.log(
      `bridge ${which.padEnd(3)}  V1 push ${rs.map((r) => fmt(r.mbps)).join(' / ')} MB/s (mean ${fmt(mean(rs, 'mbps'))}), server CPU ${rs.map((r) => fmt(r.cpuPerGiB, 2)).join(' / ')} s/GiB` +
        (which === 'on'
          ? `; V2 view ready ${rs.map((r) => fmt(r.viewMs)).join(' / ')} ms after the push, CPU with it ${rs.map((r) => fmt(r.cpuViewPerGiB, 2)).join(' / ')} s/GiB`
          : ''),
    );
  }
  const median = (xs, key) => {
    const v = xs.map((x) => x[key]).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  console.log(
    `with the bridge, median push throughput ${fmt((100 * median(results.on, 'mbps')) / median(results.off, 'mbps'))}% of without, median server CPU per GiB pushed ${fmt(median(results.on, 'cpuPerGiB'), 2)} vs ${fmt(median(results.off, 'cpuPerGiB'), 2)} s (order on off off on on off, a sync before each)`,
  );
  console.log(`${CHAIN}-image V1 chain: first V2 manifest GET after the push ${fmt(firstMs, 1)} ms, the next ${fmt(nextMs, 1)} ms`);
} finally {
  await servers.on.stop();
  await servers.off.stop();
  rmSync(work, { recursive: true, force: true });
}
