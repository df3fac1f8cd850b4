// What a server under abuse holds, on loopback (bench/resources-scenario.mjs): 2,000 idle
// connections, 5,000 abandoned V2 upload sessions, 300 bodies trickling one byte a second,
// and 20 clients pushing one image while 20 pull it, with a ping every 50 ms throughout.
// Printed: ping latency (the aim: within 100 ms throughout), the server's RSS (the aim: under
// 150 MiB) and descriptors (the aim: back to the baseline once the load lets go), and every
// status seen (never a 5xx). The server runs with the default limits except the caps per
// address (max_connections_per_client off and max_upload_sessions_per_client 10000: one
// loopback address is every client here) and, so that the run takes a minute rather than
// several, body_min_rate_interval (BENCH_RATE_INTERVAL, default 10 s; the default is 30).
// Run: npm run bench:resources   (BENCH_SHORT=1: 200 idle, 300 sessions, 30 trickling)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBerth } from './common.mjs';
import { FULL, failuresIn, formatReport, runScenario, SHORT } from './resources-scenario.mjs';

const counts = process.env.BENCH_SHORT === '1' ? SHORT : FULL;
const RATE_INTERVAL = Number(process.env.BENCH_RATE_INTERVAL ?? 10);
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-resources-'));
const config = path.join(work, 'config.yml');
writeFileSync(
  config,
  [
    'bench:',
    `  storage_path: ${path.join(work, 'store')}`,
    '  standalone: true',
    '  loglevel: warning',
    '  max_connections_per_client: 0',
    '  max_upload_sessions_per_client: 10000',
    `  body_min_rate_interval: ${RATE_INTERVAL}`,
    '',
  ].join('\n'),
);

const berth = await startBerth({ SETTINGS_FLAVOR: 'bench', DOCKER_REGISTRY_CONFIG: config });
let failed = false;
try {
  console.log(`resources under abuse, loopback (${os.cpus().length} cores, node ${process.version}), body_min_rate_interval ${RATE_INTERVAL} s`);
  const report = await runScenario({
    url: berth.url,
    pid: berth.proc.pid,
    counts,
    trickleEveryMs: 1000,
    cutWithinMs: (RATE_INTERVAL + 30) * 1000,
    log: (what) => console.log(`  … ${what}`),
  });
  for (const row of formatReport(report)) console.log(row);
  const failures = failuresIn(report.statuses);
  const aims = [
    [report.ping.max <= 100, `pings within 100 ms (max ${report.ping.max.toFixed(1)} ms)`],
    [report.rss.peakMiB < 150, `RSS under 150 MiB (peak ${report.rss.peakMiB.toFixed(1)} MiB)`],
    [report.fds.after <= report.fds.baseline, `descriptors back to ${report.fds.baseline} (${report.fds.after})`],
    [failures.length === 0, `no 5xx, error or uncut trickle${failures.length ? `: ${failures.join('; ')}` : ''}`],
  ];
  for (const [met, what] of aims) console.log(`${met ? 'met    ' : 'MISSED '} ${what}`);
  failed = failures.length > 0;
} finally {
  await berth.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
