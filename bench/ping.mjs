// GET /v1/_ping with 50 connections for 10 s on loopback (autocannon), with the server's
// RSS before and after and its peak. Run: npm run bench:ping
import os from 'node:os';
import autocannon from 'autocannon';
import { memoryOf, startBerth } from './common.mjs';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const berth = await startBerth({ STORAGE_PATH: `${os.tmpdir()}/berth-bench-ping`, SETTINGS_FLAVOR: 'dev', DEBUG: 'false' });
try {
  // Warm up the JIT for a second so the figures are about steady state.
  await autocannon({ url: `${berth.url}/v1/_ping`, connections: 10, duration: 1 });
  const before = memoryOf(berth.proc.pid);
  const result = await autocannon({ url: `${berth.url}/v1/_ping`, connections: CONNECTIONS, duration: SECONDS });
  const after = memoryOf(berth.proc.pid);
  const line = (k, v) => console.log(`${k.padEnd(28)} ${v}`);
  console.log(`GET /v1/_ping, ${CONNECTIONS} connections, ${SECONDS} s, loopback (${os.cpus().length} cores, node ${process.version})`);
  line('requests/s (mean)', Math.round(result.requests.average));
  line('requests/s (min..max)', `${result.requests.min}..${result.requests.max}`);
  line('latency p50 / p99 (ms)', `${result.latency.p50} / ${result.latency.p99}`);
  line('total requests', result.requests.total);
  line('errors / non-2xx', `${result.errors} / ${result.non2xx}`);
  line('server RSS before (MiB)', before.rssMiB.toFixed(1));
  line('server RSS after (MiB)', after.rssMiB.toFixed(1));
  line('server RSS peak (MiB)', after.peakMiB.toFixed(1));
} finally {
  await berth.stop();
}
