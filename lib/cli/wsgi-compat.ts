/**
 * The wsgi-compat launcher: takes a gunicorn command line (or, as `docker-registry`, the
 * GUNICORN_* environment), prints one line per flag it ignores, and becomes the supervisor of
 * that many Berth workers (cluster/supervisor.ts: the same as `node dist` with `workers: N`).
 * What it adds to `node dist`: the log files, the pid file, dropping privileges (-u/-g) and --reload.
 */
import fs, { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { runSupervisor } from '../cluster/supervisor.js';
import type { Env } from '../config/env.js';
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { createLogger } from '../logging/logger.js';
import { preflight } from '../preflight.js';
import { INSTALL_DIR } from '../version.js';
import { type GunicornPlan, parseGunicornArgs, UsageError } from './gunicorn-args.js';
import { type Ids, resolveIds } from './user-ids.js';

const EX_CONFIG = 78;

export function runLauncher(argv: string[], env: Env): void {
  let plan: GunicornPlan;
  try {
    plan = parseGunicornArgs(argv, { env });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`wsgi-compat: ${err.message}`);
    process.exit(2);
  }
  for (const note of plan.notes) console.error(`wsgi-compat: ${note}`);

  const workerEnv: Env = { ...env, ...plan.env };
  const load = (): LoadedConfig => preflight({ env: workerEnv, cwd: process.cwd(), installDir: INSTALL_DIR });
  let first: LoadedConfig;
  try {
    first = load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`wsgi-compat: ${err.message}`);
    process.exit(EX_CONFIG);
  }

  let pending: LoadedConfig | null = first;
  let ids: Ids;
  try {
    ids = resolveIds(plan.user, plan.group);
  } catch (e) {
    console.error(`wsgi-compat: ${(e as Error).message}`);
    process.exit(2);
  }
  if (ids.warning) console.error(`wsgi-compat: ${ids.warning}`);
  // Workers that run as another user must be able to append to the files the launcher names.
  const logFiles = [plan.accessLog, plan.errorLog, first.config.access_log_format ? first.config.access_log_file : null];
  for (const file of logFiles) if (file && file !== '-') prepareLogFile(file, ids.uid, ids.gid);
  const out: Writable = plan.accessLog ? appendStream(plan.accessLog) : process.stdout;
  const err: Writable = plan.errorLog ? appendStream(plan.errorLog) : process.stderr;

  console.error(`wsgi-compat: starting ${plan.workers} worker(s) on ${plan.binds.join(', ')}`);
  const log = createLogger(first.config.loglevel, err as never);
  const watch = plan.reload ? [path.join(INSTALL_DIR, 'dist'), first.config.source.path] : [];
  runSupervisor({
    env: workerEnv,
    load: () => {
      // The first read was done above (its errors exit 78); later ones (SIGHUP) read again.
      const loaded = pending ?? load();
      pending = null;
      return loaded;
    },
    exec: path.join(INSTALL_DIR, 'dist', 'index.js'),
    log,
    output: { stdout: out, stderr: err },
    ...(ids.uid === undefined ? {} : { uid: ids.uid }),
    ...(ids.gid === undefined ? {} : { gid: ids.gid }),
    ...(plan.pidFile ? { pidFile: plan.pidFile } : {}),
    watch,
  });
}

function appendStream(file: string): WriteStream {
  return createWriteStream(file, { flags: 'a' });
}

function prepareLogFile(file: string, uid: number | undefined, gid: number | undefined): void {
  fs.closeSync(fs.openSync(file, 'a'));
  if (uid !== undefined || gid !== undefined) fs.chownSync(file, uid ?? -1, gid ?? -1);
}
