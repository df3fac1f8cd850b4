/**
 * The wsgi-compat launcher: takes a gunicorn command line (or, as `docker-registry`, the
 * GUNICORN_* environment), prints one line per flag it ignores, and runs that many Berth
 * workers on one listening socket with node:cluster. SIGTERM/SIGINT drain every worker (the
 * graceful timeout applies to each); a second signal stops them at once. A worker that dies
 * is replaced, unless workers keep dying.
 */
import cluster, { type Worker } from 'node:cluster';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { INSTALL_DIR } from '../version.js';
import { type GunicornPlan, parseGunicornArgs, UsageError } from './gunicorn-args.js';

const EX_CONFIG = 78;
const CRASH_WINDOW_MS = 60_000;
const MAX_CRASHES = 5;

export function runLauncher(argv: string[], env: Readonly<Record<string, string | undefined>>): void {
  let plan: GunicornPlan;
  try {
    plan = parseGunicornArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`wsgi-compat: ${err.message}`);
    process.exit(2);
  }
  for (const note of plan.notes) console.error(`wsgi-compat: ${note}`);

  const out: Writable = plan.accessLog ? createWriteStream(plan.accessLog, { flags: 'a' }) : process.stdout;
  const err: Writable = plan.errorLog ? createWriteStream(plan.errorLog, { flags: 'a' }) : process.stderr;
  // BERTH_WORKERS: each worker knows it is one of several (what they must share is checked at start).
  const workerEnv = { ...env, ...plan.env, REGISTRY_HOST: plan.host, REGISTRY_PORT: String(plan.port), BERTH_WORKERS: String(plan.workers) };
  cluster.setupPrimary({ exec: path.join(INSTALL_DIR, 'dist', 'index.js'), args: [], silent: true });

  let stopping = false;
  let signals = 0;
  const crashes: number[] = [];
  const fork = (): Worker => {
    const worker = cluster.fork(workerEnv);
    worker.process.stdout?.pipe(out, { end: false });
    worker.process.stderr?.pipe(err, { end: false });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(Number(process.exitCode ?? 0));
      return;
    }
    if (code === EX_CONFIG) {
      console.error('wsgi-compat: a worker refused the configuration; stopping');
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      process.exitCode = EX_CONFIG;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(EX_CONFIG);
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while ((crashes[0] as number) < now - CRASH_WINDOW_MS) crashes.shift();
    if (crashes.length > MAX_CRASHES) {
      console.error(`wsgi-compat: workers died ${crashes.length} times within a minute; giving up`);
      process.exit(1);
    }
    console.error(`wsgi-compat: worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); starting another`);
    setTimeout(fork, 1000).unref();
  });

  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signals > 1 ? 'SIGKILL' : 'SIGTERM');
    if (signals > 1) process.exit(1);
    console.error(`wsgi-compat: ${sig}: draining ${Object.keys(cluster.workers ?? {}).length} worker(s)`);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  console.error(`wsgi-compat: starting ${plan.workers} worker(s) on ${plan.host}:${plan.port}`);
  for (let i = 0; i < plan.workers; i++) fork();
}
