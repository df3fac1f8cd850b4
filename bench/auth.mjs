// What Berth's own auth costs a request. HEAD /v2/<name>/manifests/<tag> with 50 connections for
// BENCH_SECONDS (default 10) against two servers on loopback, local storage: one without `auth:`,
// one with an htpasswd file of one bcrypt entry at cost 10 (what `htpasswd -B -C 10` makes;
// htpasswd's own default is 5). The client sends Basic on every request, as Docker, containerd and
// skopeo do once a registry asked for basic auth; Berth checks the password once and remembers it
// (lib/auth/credential-cache.ts), so what is left is the per-request cost of asking. Per server:
// requests/s, latency p50/p99, the server's CPU seconds per 1000 requests sent (from /proc), and
// the latency of an open GET /v1/_ping meanwhile (what a load balancer's health check sees); then
// what one bcrypt check at that cost takes on its own in this process (bcryptjs, as Berth).
// Run: npm run bench:auth   (BENCH_BCRYPT_COST=5 for htpasswd's default cost)
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import bcrypt from 'bcryptjs';
import { cpuOf, headWithoutBody, startBerth, timed } from './common.mjs';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const COST = Number(process.env.BENCH_BCRYPT_COST ?? 10);
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const NAME = 'alice/app';
const basic = `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`;
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-auth-'));

const htpasswd = path.join(work, 'htpasswd');
writeFileSync(htpasswd, `alice:${bcrypt.hashSync('alice-pw', COST)}\n`);

/** A config file for the server `which` ('off' or 'on'). */
function configFor(which) {
  const lines = ['bench:', `  storage_path: ${path.join(work, which)}`, '  standalone: true', '  loglevel: warning'];
  if (which === 'on') lines.push('  secret_key: bench-secret-key-0123456789abcdef0123456789', '  auth:', `    htpasswd: {path: ${htpasswd}}`);
  const file = path.join(work, `config-${which}.yml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** One small image under NAME:latest, so the HEAD finds a manifest. */
async function pushImage(base, headers) {
  const layer = Buffer.from('a layer for the auth benchmark');
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  for (const blob of [layer, config]) {
    const res = await fetch(`${base}/v2/${NAME}/blobs/uploads/?digest=${sha256(blob)}`, { method: 'POST', headers, body: blob });
    if (res.status !== 201) throw new Error(`blob POST: ${res.status} ${await res.text()}`);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer.length, digest: sha256(layer) }],
  });
  const res = await fetch(`${base}/v2/${NAME}/manifests/latest`, { method: 'PUT', headers: { ...headers, 'Content-Type': OCI_MANIFEST }, body: manifest });
  if (res.status !== 201) throw new Error(`manifest PUT: ${res.status} ${await res.text()}`);
}

/** The CPU seconds of `pid` once it has stopped working (less than 10 ms of CPU in 300 ms; at most 60 s). */
async function idleCpu(pid) {
  const deadline = Date.now() + 60_000;
  let last = cpuOf(pid);
  for (;;) {
    await new Promise((r) => setTimeout(r, 300));
    const now = cpuOf(pid);
    if (now - last < 0.01 || Date.now() > deadline) return now;
    last = now;
  }
}

/** Latencies (ms, sorted) of GET /v1/_ping, one after another, until `load` settles: what a health check sees meanwhile. */
async function pingWhile(base, load) {
  let running = true;
  load.finally(() => {
    running = false;
  });
  const ms = [];
  while (running) {
    const started = performance.now();
    const res = await fetch(`${base}/v1/_ping`);
    await res.arrayBuffer();
    ms.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
  return ms.sort((a, b) => a - b);
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;

async function measure(which) {
  const headers = which === 'on' ? { Authorization: basic } : {};
  const berth = await startBerth({ DOCKER_REGISTRY_CONFIG: configFor(which), SETTINGS_FLAVOR: 'bench' });
  try {
    await pushImage(berth.url, headers);
    const opts = {
      url: `${berth.url}/v2/${NAME}/manifests/latest`,
      method: 'HEAD',
      headers: { ...headers, Accept: OCI_MANIFEST },
      setupClient: headWithoutBody,
      // bcrypt at cost 10 and 50 connections queue for seconds: no request may time out.
      timeout: 60,
    };
    await autocannon({ ...opts, connections: 10, duration: 1 }); // warm-up
    const cpu0 = await idleCpu(berth.proc.pid);
    const load = Promise.resolve(autocannon({ ...opts, connections: CONNECTIONS, duration: SECONDS }));
    const pings = await pingWhile(berth.url, load);
    const r = await load;
    // The requests in flight when the run ends are still worked on (nothing aborts a bcrypt
    // check): their CPU counts, and so do they, as sent.
    const cpu = (await idleCpu(berth.proc.pid)) - cpu0;
    return {
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      answered: r.requests.total,
      sent: r.requests.sent,
      cpuPer1000: (cpu * 1000) / r.requests.sent,
      bad: r.errors + r.timeouts + r.non2xx,
      pings,
    };
  } finally {
    await berth.stop();
  }
}

try {
  const off = await measure('off');
  const on = await measure('on');

  // bcryptjs on its own, as HtpasswdFile.verify calls it: one check at a time.
  const hash = bcrypt.hashSync('alice-pw', COST);
  await bcrypt.compare('alice-pw', hash); // warm-up
  const CHECKS = 20;
  const ms = await timed(async () => {
    for (let i = 0; i < CHECKS; i++) await bcrypt.compare('alice-pw', hash);
  });
  const perCheck = ms / CHECKS;

  console.log(
    `HEAD /v2/<name>/manifests/<tag>, ${CONNECTIONS} connections, ${SECONDS} s, loopback; node ${process.version}, ${os.cpus().length} cores (server and client share them)`,
  );
  const row = (label, x) =>
    console.log(
      `${label.padEnd(44)} ${x.rps.toFixed(0).padStart(6)} req/s   p50 ${String(x.p50).padStart(5)} ms   p99 ${String(x.p99).padStart(5)} ms   server CPU ${x.cpuPer1000.toFixed(2).padStart(6)} s per 1000 requests   (${x.answered} answered of ${x.sent} sent, ${x.bad} errors/timeouts/non-2xx)`,
    );
  row('auth off', off);
  row(`auth on, Basic on every request (bcrypt ${COST})`, on);
  for (const [label, x] of [
    ['auth off', off],
    ['auth on', on],
  ]) {
    console.log(
      `GET /v1/_ping (open) during the load, ${label}: p50 ${percentile(x.pings, 50).toFixed(0)} ms, max ${percentile(x.pings, 100).toFixed(0)} ms (${x.pings.length} pings)`,
    );
  }
  console.log(`auth on answers ${((on.rps / off.rps) * 100).toFixed(1)}% of the requests of auth off`);
  console.log(
    `one bcrypt check at cost ${COST} (bcryptjs, this process): ${perCheck.toFixed(1)} ms, so at most ${(1000 / perCheck).toFixed(0)} checks/s per server process; ` +
      `auth on costs the server ${(on.cpuPer1000 - off.cpuPer1000).toFixed(1)} ms of CPU per request more than auth off`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
