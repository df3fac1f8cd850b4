/**
 * The gunicorn command lines that docker-registry deployments run (docker/docker-registry
 * `ADVANCED.md`, `docker_registry/run.py`, `contrib/gunicorn_config.py`), mapped onto Berth. Every
 * flag is accepted or explained: what has a Berth equivalent is translated, what Node makes
 * unnecessary is ignored with a note, and what cannot work is refused with the alternative.
 */
export interface GunicornPlan {
  host: string;
  port: number;
  workers: number;
  /** environment for the workers: what the flags mean in Berth's terms */
  env: Record<string, string>;
  accessLog: string | null;
  errorLog: string | null;
  /** one line per flag that was ignored, and why */
  notes: string[];
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

export function parseGunicornArgs(argv: readonly string[]): GunicornPlan {
  const plan: GunicornPlan = { host: '0.0.0.0', port: 8000, workers: 1, env: {}, accessLog: null, errorLog: null, notes: [] };
  let app: string | null = null;
  let bound = false;
  const args = [...argv];
  while (args.length > 0) {
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
        const address = parseBind(value as string);
        if (bound) {
          plan.notes.push(`${arg} ${value}: ignored; Berth listens on one address, the first given`);
          break;
        }
        Object.assign(plan, address);
        bound = true;
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
        plan.notes.push(`${arg} ${value}: ignored; Berth never cuts a request that is still moving, so long layer uploads survive`);
        break;
      case '--graceful-timeout':
        positiveInt(arg, value as string);
        plan.env.GUNICORN_GRACEFUL_TIMEOUT = value as string;
        break;
      case '--max-requests':
      case '--max-requests-jitter':
        plan.notes.push(`${arg} ${value}: ignored; workers are not recycled (recycling cut uploads, docker-registry#900)`);
        break;
      case '--access-logfile':
        plan.accessLog = value === '-' ? null : (value as string);
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
      case '--reload':
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
  return plan;
}

function parseBind(value: string): { host: string; port: number } {
  if (value.startsWith('unix:')) throw new UsageError(`--bind ${value}: unix sockets are not supported; bind to 127.0.0.1:PORT behind your proxy`);
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(value);
  if (!m) throw new UsageError(`--bind ${value}: expected HOST:PORT`);
  const host = m[1] ?? (m[2] || '0.0.0.0');
  const port = m[3] === undefined ? 8000 : Number(m[3]);
  if (port > 65535) throw new UsageError(`--bind ${value}: port out of range`);
  return { host, port };
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${value}: expected a whole number of 1 or more`);
  return n;
}
