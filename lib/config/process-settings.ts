/**
 * How the process runs, rather than what the registry does: how many workers, when a worker
 * is recycled, the gunicorn-format access log, and where to listen. Each may be set in the
 * config file; the launchers (`node dist` under wsgi-compat/gunicorn, an operator's env) set
 * them by environment, which wins over the file because it comes from a command line:
 *
 *   workers              BERTH_WORKERS               N, or `auto` (one per core)
 *   max_requests         BERTH_MAX_REQUESTS          recycle a worker after about N requests; 0 = never
 *   max_requests_jitter  BERTH_MAX_REQUESTS_JITTER   plus a random 0..J, so workers do not recycle together
 *   access_log_format    BERTH_ACCESS_LOG_FORMAT     gunicorn's `%(h)s %(t)s "%(r)s" ...` tokens; absent = JSON lines
 *   access_log_file      BERTH_ACCESS_LOG_FILE       where those lines go (`-` = stdout)
 *   upload_idle_timeout  GUNICORN_SILENT_TIMEOUT     (only when the file does not set it, as GUNICORN_GRACEFUL_TIMEOUT)
 *
 * BERTH_BIND (space-separated `HOST:PORT` or `unix:PATH`, from gunicorn's repeated `-b`)
 * replaces REGISTRY_HOST/REGISTRY_PORT as the listen addresses.
 */
import os from 'node:os';
import { z } from 'zod';
import type { Env } from './env.js';
import type { ConfigIssue } from './errors.js';
import { int, str } from './fields.js';

export type Bind = { readonly host: string; readonly port: number } | { readonly path: string };

const workersField = z
  .union([z.number(), z.string(), z.null()], { error: 'expected a number of worker processes or auto' })
  .optional()
  .transform((v, ctx): number => {
    if (v === undefined || v === null || v === '') return 1;
    if (typeof v === 'string' && v.trim().toLowerCase() === 'auto') return os.availableParallelism();
    const n = typeof v === 'number' ? v : /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
    if (Number.isInteger(n) && n >= 1 && n <= 512) return n;
    ctx.addIssue({ code: 'custom', message: `expected a number of worker processes (1 to 512) or auto, got ${JSON.stringify(v)}` });
    return z.NEVER;
  });

/** The schema's fields for these settings (spread into configSchema). */
export const processFields = {
  /** worker processes on one listening socket (node:cluster); `auto` = the number of cores; 1 = one process, no supervisor */
  workers: workersField,
  /** a worker is recycled after about this many requests (gunicorn --max-requests); 0 = never */
  max_requests: int(0, 0).transform((v) => v ?? 0),
  /** plus a random 0..max_requests_jitter (gunicorn --max-requests-jitter) */
  max_requests_jitter: int(0, 0).transform((v) => v ?? 0),
  /** gunicorn's access log format (`%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s ...`); absent: the JSON access log */
  access_log_format: str(),
  /** where the gunicorn-format access lines go; `-` or absent: stdout */
  access_log_file: str(),
};

const OVERRIDES = [
  ['workers', 'BERTH_WORKERS'],
  ['max_requests', 'BERTH_MAX_REQUESTS'],
  ['max_requests_jitter', 'BERTH_MAX_REQUESTS_JITTER'],
  ['access_log_format', 'BERTH_ACCESS_LOG_FORMAT'],
  ['access_log_file', 'BERTH_ACCESS_LOG_FILE'],
] as const;

/** Put the launchers' environment into the raw config, before it is validated (so errors name the variable). */
export function applyProcessEnv(raw: Record<string, unknown>, env: Env, envSources: Map<string, string>): void {
  for (const [key, envVar] of OVERRIDES) {
    const value = env[envVar];
    if (value === undefined || value === '') continue;
    raw[key] = value;
    envSources.set(key, envVar);
  }
  if (raw.upload_idle_timeout == null && env.GUNICORN_SILENT_TIMEOUT) {
    raw.upload_idle_timeout = env.GUNICORN_SILENT_TIMEOUT;
    envSources.set('upload_idle_timeout', 'GUNICORN_SILENT_TIMEOUT');
  }
}

/** The listen addresses: BERTH_BIND when set, else REGISTRY_HOST:REGISTRY_PORT (`listen`). */
export function readBinds(env: Env, listen: { host: string; port: number }, issues: ConfigIssue[]): Bind[] {
  const spec = env.BERTH_BIND?.trim();
  if (!spec) return [listen];
  const binds: Bind[] = [];
  for (const word of spec.split(/\s+/)) {
    const bind = parseBind(word);
    if (typeof bind === 'string') issues.push({ key: 'listen', envVar: 'BERTH_BIND', message: bind });
    else binds.push(bind);
  }
  return binds;
}

/** `HOST:PORT`, `[V6]:PORT`, `:PORT`, `HOST` (port 8000, gunicorn's default) or `unix:PATH`; a string says what is wrong. */
export function parseBind(value: string): Bind | string {
  if (value.startsWith('unix:')) {
    const path = value.slice('unix:'.length);
    return path.startsWith('/') ? { path } : `${value}: a unix socket needs an absolute path (unix:/run/berth.sock)`;
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))(?::(\d+))?$/.exec(value);
  if (!m) return `${value}: expected HOST:PORT or unix:PATH`;
  const port = m[3] === undefined ? 8000 : Number(m[3]);
  if (port > 65535) return `${value}: port out of range`;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** How a bind is shown: `http://host:port` or `unix:/path`. */
export function bindLabel(bind: Bind): string {
  return 'path' in bind ? `unix:${bind.path}` : `${bind.host.includes(':') ? `[${bind.host}]` : bind.host}:${bind.port}`;
}
