// The resource scenario of README "Limits", shared by `npm run bench:resources` and
// test/e2e/resources.test.ts: against a running Berth (`url`, its `pid` for /proc), all on
// loopback, while a ping goes out every 50 ms:
//
//   1. `idle` connections opened and left silent;
//   2. `abandoned` V2 upload sessions opened (POST) and never used again;
//   3. `trickling` bodies sent one byte at a time (a third each: PATCH on a session, a
//      monolithic POST ?digest=, a manifest PUT), left for the server to cut;
//   4. meanwhile `pushers` clients push the same image (the same layer and config blobs by
//      POST + PATCH + PUT, the same manifest and tag) at once, and `pullers` clients pull it.
//
// Then the client side lets go of everything and the server's descriptors are watched until
// they are back to where they were before. Returned: the figures (ping latency, server RSS,
// server descriptors) and every status seen, so a caller can print them and check them.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const SHORT = { idle: 200, abandoned: 300, trickling: 30, pushers: 20, pullers: 10 };
export const FULL = { idle: 2000, abandoned: 5000, trickling: 300, pushers: 20, pullers: 20 };

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const REQUEST_TIMEOUT_MS = 60_000;

/** Open descriptors of process `pid`. */
export function descriptorsOf(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident set size of process `pid` in MiB, and its peak so far (VmHWM). */
export function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

const sha256 = (data) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One request; resolves { status, body } or { status: 'error', error } (a timeout included), never rejects. */
function request(url, method, { body, headers = {}, agent } = {}) {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (error) => resolve({ status: 'error', error: error.message }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', (error) => resolve({ status: 'error', error: error.message }));
    req.end(body);
  });
}

/** Run `fn(i)` for i in [0, n) with at most `width` at a time. */
async function pool(n, width, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(n, width) }, worker));
}

class Tally {
  counts = {};
  add(what, status) {
    this.counts[what] ??= {};
    const row = this.counts[what];
    row[status] = (row[status] ?? 0) + 1;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * GET /v1/_ping every `everyMs` from a process of its own (bench/resources-pinger.mjs), so that
 * what it measures is the server's answer, not the load generator's own event loop.
 */
function pinger(url, everyMs, tally) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./resources-pinger.mjs', import.meta.url)), url, String(everyMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    async stop() {
      child.stdin.end();
      await exited;
      const { latencies, statuses } = JSON.parse(out);
      for (const [status, n] of Object.entries(statuses)) for (let i = 0; i < n; i++) tally.add('ping', status);
      const sorted = [...latencies].sort((a, b) => a - b);
      return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
    },
  };
}

/** A connection that sends nothing. Resolves once connected (or failed: counted). */
function idleConnection(port, sockets, tally) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      tally.add('idle connection', 'open');
      resolve();
    });
    socket.on('error', () => {
      tally.add('idle connection', 'error');
      resolve();
    });
    sockets.push(socket);
  });
}

/**
 * A request whose headers go at once and whose body then comes one byte every `everyMs`,
 * until the server answers or closes. Resolves the status the server answered ('closed' when
 * it closed without one, 'not cut' when it did neither within `giveUpMs`).
 */
function trickle(port, method, path, headers, declared, everyMs, giveUpMs) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let timer;
    const finish = (status) => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve(status);
    };
    const giveUp = setTimeout(() => finish('not cut'), giveUpMs);
    socket.on('connect', () => {
      const head = Object.entries({ Host: `127.0.0.1:${port}`, 'Content-Length': String(declared), ...headers })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n`);
      let sent = 0;
      timer = setInterval(() => {
        if (sent < declared - 1 && socket.writable) {
          socket.write('x');
          sent++;
        }
      }, everyMs);
    });
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1];
      finish(status ? Number(status) : 'closed');
    });
  });
}

/** The image every pusher pushes and every puller pulls. */
function theImage() {
  const layer = randomBytes(1024 * 1024);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer.length, digest: sha256(layer) }],
    }),
  );
  return { layer, config, manifest };
}

/** One client pushing the image: each blob by POST, one PATCH, PUT; then the manifest. */
async function push(url, name, image, tally) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (const blob of [image.layer, image.config]) {
      const start = await request(`${url}/v2/${name}/blobs/uploads/`, 'POST', { agent });
      tally.add('push', start.status);
      if (start.status !== 202) continue;
      const location = new URL(start.headers.location, url).href;
      const patch = await request(location, 'PATCH', { agent, body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
      tally.add('push', patch.status);
      const put = await request(`${location}${location.includes('?') ? '&' : '?'}digest=${sha256(blob)}`, 'PUT', { agent });
      tally.add('push', put.status);
    }
    const put = await request(`${url}/v2/${name}/manifests/latest`, 'PUT', { agent, body: image.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
    tally.add('push', put.status);
  } finally {
    agent.destroy();
  }
}

/** One client pulling the image (manifest, then its blobs) until `until()`, at least once; a 404 before the first push is expected. */
async function pull(url, name, image, until, tally) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let first = true; first || !until(); first = false) {
      const manifest = await request(`${url}/v2/${name}/manifests/latest`, 'GET', { agent, headers: { Accept: OCI_MANIFEST } });
      tally.add('pull', manifest.status);
      if (manifest.status !== 200) {
        await sleep(50);
        continue;
      }
      for (const blob of [image.config, image.layer]) {
        const res = await request(`${url}/v2/${name}/blobs/${sha256(blob)}`, 'GET', { agent });
        tally.add('pull', res.status === 200 && !res.body.equals(blob) ? 'wrong bytes' : res.status);
      }
    }
  } finally {
    agent.destroy();
  }
}

/**
 * Run the scenario. `counts`: SHORT or FULL (or your own); `trickleEveryMs`: the gap between
 * trickled bytes; `cutWithinMs`: how long a trickle may go on before the scenario calls it
 * "not cut" (the server's body_min_rate_interval, or small_body_timeout, plus margin);
 * `settleMs`: how long descriptors may take to come back.
 */
export async function runScenario({ url, pid, counts, trickleEveryMs = 1000, cutWithinMs, settleMs = 30_000, log = () => {} }) {
  const port = Number(new URL(url).port);
  const tally = new Tally();
  const started = performance.now();
  const baseline = { fds: descriptorsOf(pid), rss: rssOf(pid).rssMiB };
  let fdsPeak = baseline.fds;
  let rssPeak = baseline.rss;
  const sampler = setInterval(() => {
    try {
      fdsPeak = Math.max(fdsPeak, descriptorsOf(pid));
      rssPeak = Math.max(rssPeak, rssOf(pid).rssMiB);
    } catch {}
  }, 100);
  const pings = pinger(url, 50, tally);
  const held = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  try {
    log(`opening ${counts.idle} idle connections`);
    await pool(counts.idle, 100, () => idleConnection(port, held, tally));

    log(`opening ${counts.abandoned} upload sessions and leaving them`);
    await pool(counts.abandoned, 50, async (i) => {
      const res = await request(`${url}/v2/abandoned/s${i % 50}/blobs/uploads/`, 'POST', { agent });
      tally.add('abandoned session', res.status);
    });

    log(`starting ${counts.trickling} trickling bodies`);
    const image = theImage();
    const trickles = Array.from({ length: counts.trickling }, async (_, i) => {
      const kind = ['patch', 'monolithic', 'manifest'][i % 3];
      let method = 'PATCH';
      let path;
      const headers = { 'Content-Type': 'application/octet-stream' };
      if (kind === 'patch') {
        const start = await request(`${url}/v2/trickle/patch/blobs/uploads/`, 'POST', { agent });
        if (start.status !== 202) return tally.add(`trickle ${kind}`, `session ${start.status}`);
        path = start.headers.location;
      } else if (kind === 'monolithic') {
        method = 'POST';
        path = `/v2/trickle/mono/blobs/uploads/?digest=${sha256(String(i))}`;
      } else {
        method = 'PUT';
        path = `/v2/trickle/manifest/manifests/t${i}`;
        headers['Content-Type'] = OCI_MANIFEST;
      }
      tally.add(`trickle ${kind}`, await trickle(port, method, path, headers, 1_000_000, trickleEveryMs, cutWithinMs));
    });

    log(`${counts.pushers} clients pushing one image while ${counts.pullers} pull it`);
    let pushing = true;
    const pushed = Promise.all(Array.from({ length: counts.pushers }, () => push(url, 'same/image', image, tally))).finally(() => {
      pushing = false;
    });
    const pulled = Array.from({ length: counts.pullers }, () => pull(url, 'same/image', image, () => !pushing, tally));
    await Promise.all([pushed, ...pulled]);
    await pull(url, 'same/image', image, () => true, tally); // once every push is done, the image is whole

    log('waiting for the server to cut the trickling bodies');
    await Promise.all(trickles);
  } finally {
    log('letting go of every connection');
    for (const socket of held) socket.destroy();
    agent.destroy();
  }
  const ping = await pings.stop();
  const releasedAt = performance.now();
  let fdsAfter = descriptorsOf(pid);
  while (fdsAfter > baseline.fds && performance.now() - releasedAt < settleMs) {
    await sleep(100);
    fdsAfter = descriptorsOf(pid);
  }
  clearInterval(sampler);
  const heap = await heapOf(url);
  return {
    heap,
    counts,
    seconds: (performance.now() - started) / 1000,
    ping,
    rss: { baselineMiB: baseline.rss, peakMiB: rssPeak, afterMiB: rssOf(pid).rssMiB },
    fds: { baseline: baseline.fds, peak: fdsPeak, after: fdsAfter, settledMs: fdsAfter <= baseline.fds ? performance.now() - releasedAt : null },
    statuses: tally.counts,
  };
}

/** V8's heap (used, total) and external memory of the server, in MiB, from its /metrics (null when metrics are off). */
async function heapOf(url) {
  const res = await request(`${url}/metrics`, 'GET');
  if (res.status !== 200) return null;
  const text = res.body.toString();
  const mib = (name) => Number(new RegExp(`^berth_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 1048576;
  return { usedMiB: mib('nodejs_heap_size_used_bytes'), totalMiB: mib('nodejs_heap_size_total_bytes'), externalMiB: mib('nodejs_external_memory_bytes') };
}

/** Statuses that must never be seen: 5xx (503 too: the scenario stays under every cap), errors, wrong bytes, a trickle not cut. */
export function failuresIn(statuses) {
  const bad = [];
  for (const [what, row] of Object.entries(statuses)) {
    for (const [status, n] of Object.entries(row)) {
      if (/^5\d\d$/.test(status) || ['error', 'wrong bytes', 'not cut'].includes(status) || status.startsWith('session')) bad.push(`${what}: ${n} × ${status}`);
    }
  }
  return bad;
}

/** The report as the lines the bench and the test print. */
export function formatReport(report) {
  const line = (k, v) => `${k.padEnd(40)} ${v}`;
  const { counts, ping, rss, fds } = report;
  const rows = [
    line(
      'load',
      `${counts.idle} idle, ${counts.abandoned} abandoned sessions, ${counts.trickling} trickling, ${counts.pushers} pushing, ${counts.pullers} pulling`,
    ),
    line('duration (s)', report.seconds.toFixed(1)),
    line('pings answered / p50 / p99 / max (ms)', `${ping.count} / ${ping.p50.toFixed(1)} / ${ping.p99.toFixed(1)} / ${ping.max.toFixed(1)}`),
    line('server RSS before / peak / after (MiB)', `${rss.baselineMiB.toFixed(1)} / ${rss.peakMiB.toFixed(1)} / ${rss.afterMiB.toFixed(1)}`),
    ...(report.heap
      ? [
          line(
            'V8 heap used / total, external after (MiB)',
            `${report.heap.usedMiB.toFixed(1)} / ${report.heap.totalMiB.toFixed(1)}, ${report.heap.externalMiB.toFixed(1)}`,
          ),
        ]
      : []),
    line('server descriptors before / peak / after', `${fds.baseline} / ${fds.peak} / ${fds.after}`),
    line('descriptors back to baseline after', fds.settledMs === null ? 'not within the wait' : `${(fds.settledMs / 1000).toFixed(1)} s`),
  ];
  for (const [what, row] of Object.entries(report.statuses)) {
    rows.push(
      line(
        `  ${what}`,
        Object.entries(row)
          .map(([s, n]) => `${s}×${n}`)
          .join(' '),
      ),
    );
  }
  return rows;
}
