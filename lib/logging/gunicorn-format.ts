/**
 * gunicorn's access log format (gunicorn `glogging.py`, `Logger.atoms` and `access()`), so that
 * the log parsers of old deployments keep working, in the form of the gunicorn 18/19 that
 * docker-registry ran (19.1): the time has no zone (`[07/Dec/2026:13:08:00]`, local time: what
 * docker-registry's `scripts/bandwidth_parser.py` matches), `b` is the Content-Length or `-`,
 * and a `"` inside a value is written `\"`. docker-registry's
 * `contrib/gunicorn_config.py` used
 *
 *   %(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s %({X-Docker-Size}o)s
 *
 * and its `scripts/bandwidth_parser.py` read the last field. Atoms: h remote address, l `-`,
 * u user, t `[07/Dec/2026:13:08:00]`, r request line, m method, U path, q query, H
 * protocol, s status, b bytes or `-`, B bytes, f referer, a user agent, T seconds, M
 * milliseconds, D microseconds, L seconds with decimals, p `<pid>`, {name}i a request header,
 * {name}o a response header, {name}e an environment value (never given: `-`). What has no
 * value is `-`, as in gunicorn. Only `%(...)s` (and `%%`) is understood, which is what
 * gunicorn's own formats use.
 */

export interface AccessFields {
  remote: string;
  user: string | null;
  time: Date;
  method: string;
  /** path with its query string, as the client sent it */
  url: string;
  httpVersion: string;
  status: number;
  /** the response's Content-Length; null when it has none */
  bytes: number | null;
  durationMicros: number;
  pid: number;
  requestHeader(name: string): string | undefined;
  responseHeader(name: string): string | undefined;
}

export type AccessFormatter = (fields: AccessFields) => string;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Compile a format once; the result renders one line (without the newline). */
export function compileAccessFormat(format: string): AccessFormatter {
  const parts: Array<string | ((f: AccessFields) => string)> = [];
  const token = /%%|%\(([^)]*)\)s/g;
  let last = 0;
  for (const m of format.matchAll(token)) {
    parts.push(format.slice(last, m.index));
    const name = m[1];
    if (name === undefined) parts.push('%');
    else {
      const render = atom(name);
      parts.push((f) => render(f).replaceAll('"', '\\"'));
    }
    last = m.index + m[0].length;
  }
  parts.push(format.slice(last));
  return (fields) => parts.map((p) => (typeof p === 'string' ? p : p(fields))).join('');
}

function atom(name: string): (f: AccessFields) => string {
  const header = /^\{(.+)\}([ioe])$/.exec(name);
  if (header) {
    const key = (header[1] as string).toLowerCase();
    if (header[2] === 'i') return (f) => dash(f.requestHeader(key));
    if (header[2] === 'o') return (f) => dash(f.responseHeader(key));
    return () => '-';
  }
  switch (name) {
    case 'h':
      return (f) => dash(f.remote);
    case 'l':
      return () => '-';
    case 'u':
      return (f) => dash(f.user);
    case 't':
      return (f) => gunicornTime(f.time);
    case 'r':
      return (f) => `${f.method} ${f.url} HTTP/${f.httpVersion}`;
    case 'm':
      return (f) => f.method;
    case 'U':
      return (f) => f.url.split('?')[0] as string;
    case 'q':
      return (f) => (f.url.includes('?') ? f.url.slice(f.url.indexOf('?') + 1) : '');
    case 'H':
      return (f) => `HTTP/${f.httpVersion}`;
    case 's':
      return (f) => String(f.status);
    case 'b':
      return (f) => (f.bytes ? String(f.bytes) : '-');
    case 'B':
      return (f) => String(f.bytes ?? 0);
    case 'f':
      return (f) => dash(f.requestHeader('referer'));
    case 'a':
      return (f) => dash(f.requestHeader('user-agent'));
    case 'T':
      return (f) => String(Math.floor(f.durationMicros / 1e6));
    case 'M':
      return (f) => String(Math.floor(f.durationMicros / 1e3));
    case 'D':
      return (f) => String(Math.round(f.durationMicros));
    case 'L':
      return (f) => (f.durationMicros / 1e6).toFixed(6);
    case 'p':
      return (f) => `<${f.pid}>`;
    default:
      return () => '-';
  }
}

function dash(value: string | null | undefined): string {
  return value === undefined || value === null || value === '' ? '-' : value;
}

/** `[07/Dec/2026:13:08:00]`: gunicorn 19's `now()`, local time without a zone. */
export function gunicornTime(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `[${two(d.getDate())}/${MONTHS[d.getMonth()]}/${String(d.getFullYear()).padStart(4, '0')}:${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}]`;
}
