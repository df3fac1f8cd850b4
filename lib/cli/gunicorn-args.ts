/**
 * The gunicorn command lines that docker-registry deployments run (docker/docker-registry
 * `ADVANCED.md`, `docker_registry/run.py`, `contrib/gunicorn_config.py`), mapped onto Berth. Every
 * flag is accepted or explained: what has a Berth equivalent is translated, what Node makes
 * unnecessary is ignored with a note, and what cannot work is refused with the alternative.
 * `-c FILE` reads a gunicorn config file (cli/gunicorn-config-file.ts); the command line wins over it.
 */
import { readFileSync } from 'node:fs';
import type { Env } from '../config/env.js';
import { parseBind } from '../config/process-settings.js';
import { readGunicornConfig } from './gunicorn-config-file.js';

export interface GunicornPlan {
  /** the first address (what the launcher's first line shows) */
  host: string;
  port: number;
  /** every `-b`, as given (`HOST:PORT`, `unix:PATH`) */
  binds: string[];
  workers: number;
  /** environment for the workers: what the flags mean in Berth's terms */
  env: Record<string, string>;
  /** where the workers' stdout goes: the JSON log (its access lines), or with --access-logformat the JSON log only */
  accessLog: string | null;
  errorLog: string | null;
  pidFile: string | null;
  user: string | null;
  group: string | null;
  reload: boolean;
  /** one line per flag that was ignored, and why */
  notes: string[];
}

export interface ParseOptions {
  /** the environment a `-c` file reads (os.environ) */
  env?: Env;
  readFile?: (path: string) => string;
}

export class UsageError extends Error {}

const APPS = new Set(['docker_registry.wsgi:application', 'wsgi:application', 'docker_registry.wsgi:app']);
const LEVELS: Record<string, string> = { debug: 'debug', info: 'info', warning: 'warning', warn: 'warning', error: 'error', critical: 'critical' };

/** Flags that take a value, by every spelling gunicorn accepts. */
const WITH_VALUE = new Set([
  '-b',
  '--bind',
  '-w',
  '--workers',
  '-k',
  '--worker-class',
  '-t',
  '--timeout',
  '--graceful-timeout',
  '--max-requests',
  '--max-requests-jitter',
  '--access-logfile',
  '--error-logfile',
  '--log-file',
  '--log-level',
  '-c',
  '--config',
  '-u',
  '--user',
  '-g',
  '--group',
  '--keep-alive',
  '--worker-connections',
  '--access-logformat',
  '--pid',
  '-p',
  '--chdir',
  '--name',
  '-n',
]);

export function parseGunicornArgs(argv: readonly string[], options: ParseOptions = {}): GunicornPlan {
  const plan: GunicornPlan = {
    host: '0.0.0.0',
    port: 8000,
    binds: [],
    workers: 1,
    env: {},
    accessLog: null,
    errorLog: null,
    pidFile: null,
    user: null,
    group: null,
    reload: false,
    notes: [],
  };
  let app: string | null = null;
  const file = configFileArgs(argv, options, plan.notes);
  let bindsFromFile = false;
  let accessLogFile: string | null = null;
  const args = [...file, ...argv];
  while (args.length > 0) {
    // The -c file's flags come first: while more than the command line is left, this is one of them.
    const inFile = args.length > argv.length;
    let arg = args.shift() as string;
    let value: string | undefined;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    if (eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    } else if (/^-[a-zA-Z]./.test(arg) && WITH_VALUE.has(arg.slice(0, 2))) {
      value = arg.slice(2); // -b0.0.0.0:5000
      arg = arg.slice(0, 2);
    }
    if (WITH_VALUE.has(arg) && value === undefined) {
      value = args.shift();
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
    }
    switch (arg) {
      case '-b':
      case '--bind': {
        const bind = parseBind(value as string);
        if (typeof bind === 'string') throw new UsageError(`--bind ${bind}`);
        // The command line's -b replace the file's (gunicorn: the command line wins).
        if (bindsFromFile && !inFile) plan.binds = [];
        bindsFromFile = inFile;
        plan.binds.push(value as string);
        break;
      }
      case '-w':
      case '--workers':
        plan.workers = positiveInt(arg, value as string);
        break;
      case '-k':
      case '--worker-class':
        plan.notes.push(`${arg} ${value}: ignored; every Berth worker serves many requests at once (as gevent did)`);
        break;
      case '-t':
      case '--timeout':
        // gunicorn's silent-worker timeout becomes the idle timeout of an upload that makes no
        // progress (upload_idle_timeout): a long upload that keeps moving is never cut.
        nonNegativeInt(arg, value as string);
        plan.env.GUNICORN_SILENT_TIMEOUT = value as string;
        break;
      case '--graceful-timeout':
        positiveInt(arg, value as string);
        plan.env.GUNICORN_GRACEFUL_TIMEOUT = value as string;
        break;
      case '--max-requests':
        plan.env.BERTH_MAX_REQUESTS = String(nonNegativeInt(arg, value as string));
        break;
      case '--max-requests-jitter':
        plan.env.BERTH_MAX_REQUESTS_JITTER = String(nonNegativeInt(arg, value as string));
        break;
      case '--access-logfile':
        accessLogFile = value as string;
        break;
      case '--access-logformat':
        plan.env.BERTH_ACCESS_LOG_FORMAT = value as string;
        break;
      case '-p':
      case '--pid':
        plan.pidFile = value as string;
        break;
      case '-u':
      case '--user':
        plan.user = value as string;
        break;
      case '-g':
      case '--group':
        plan.group = value as string;
        break;
      case '-c':
      case '--config':
        break; // read before the rest (configFileArgs)
      case '--reload':
        plan.reload = true;
        break;
      case '--error-logfile':
      case '--log-file':
        plan.errorLog = value === '-' ? null : (value as string);
        break;
      case '--log-level': {
        const level = LEVELS[(value as string).toLowerCase()];
        if (!level) throw new UsageError(`--log-level ${value}: use debug, info, warning, error or critical`);
        plan.env.LOGLEVEL = level;
        break;
      }
      case '-D':
      case '--daemon':
        throw new UsageError('--daemon is not supported: run Berth in the foreground under systemd (see contrib/docker-registry.service) or your supervisor');
      case '--debug':
      case '--preload':
        plan.notes.push(`${arg}: ignored`);
        break;
      default:
        if (WITH_VALUE.has(arg)) {
          plan.notes.push(`${arg} ${value}: ignored (no Berth equivalent)`);
        } else if (arg.startsWith('-')) {
          plan.notes.push(`${arg}: unknown gunicorn flag, ignored`);
        } else if (app === null) {
          app = arg;
          if (!APPS.has(arg)) plan.notes.push(`${arg}: Berth serves the registry whatever application is named`);
        } else {
          throw new UsageError(`unexpected argument ${arg}`);
        }
    }
  }
  if (app === null) plan.notes.push('no application named; serving the registry (docker_registry.wsgi:application)');
  if (plan.binds.length === 0) plan.binds.push('127.0.0.1:8000'); // gunicorn's default
  const first = parseBind(plan.binds[0] as string);
  if (typeof first !== 'string' && 'host' in first) Object.assign(plan, { host: first.host, port: first.port });
  plan.env.BERTH_BIND = plan.binds.join(' ');
  plan.env.BERTH_WORKERS = String(plan.workers);
  // With a gunicorn format, the access file gets those lines (written by the workers) and the
  // JSON log goes with the error log; without, the JSON log (access lines included) goes there as before.
  if (plan.env.BERTH_ACCESS_LOG_FORMAT) {
    plan.env.BERTH_ACCESS_LOG_FILE = accessLogFile ?? '-';
    plan.accessLog = plan.errorLog;
  } else plan.accessLog = accessLogFile === null || accessLogFile === '-' ? null : accessLogFile;
  return plan;
}

/** The flags a `-c FILE` stands for (its notes added to `notes`); none without -c. */
function configFileArgs(argv: readonly string[], options: ParseOptions, notes: string[]): string[] {
  let path: string | undefined;
  argv.forEach((arg, i) => {
    if (arg === '-c' || arg === '--config') path = argv[i + 1];
    else if (arg.startsWith('--config=')) path = arg.slice('--config='.length);
    else if (/^-c./.test(arg)) path = arg.slice(2);
  });
  if (path === undefined) return [];
  let text: string;
  try {
    text = (options.readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
  } catch (err) {
    throw new UsageError(`-c ${path}: cannot read it: ${(err as Error).message}`);
  }
  const read = readGunicornConfig(text, path, options.env ?? {});
  notes.push(...read.notes);
  return read.args;
}

function nonNegativeInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} ${value}: expected a whole number of 0 or more`);
  return n;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${value}: expected a whole number of 1 or more`);
  return n;
}
