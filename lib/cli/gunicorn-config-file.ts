/**
 * `gunicorn -c FILE`: a gunicorn config file is Python, and the ones docker-registry
 * deployments use (docker/docker-registry `contrib/gunicorn_config.py`) are `name = value`
 * assignments of strings, numbers, booleans, `os.environ.get(NAME, DEFAULT)`, `'%s:%s' % (...)`
 * and `int(...)`, with `if flavor == 'prod' or ...:` blocks. This reads that much Python (no
 * more), turns each gunicorn setting into the command-line flag it stands for, and says which
 * lines it ignored and why. Flags on the command line win over the file, as in gunicorn.
 *
 * One reading differs from Python on purpose: `int(os.environ.get('X'), 3600)` (in that very
 * file) fails in Python when X is unset; it is read as meant, X or else 3600.
 */
import type { Env } from '../config/env.js';

export interface GunicornFileSettings {
  /** the flags the file's settings stand for, to put before the command line's */
  args: string[];
  /** one line per statement ignored, and why */
  notes: string[];
}

type Value = string | number | boolean | null | Value[];

/** gunicorn setting → flag (a boolean setting's flag takes no value). */
const FLAGS: Record<string, string> = {
  bind: '--bind',
  workers: '--workers',
  worker_class: '--worker-class',
  timeout: '--timeout',
  graceful_timeout: '--graceful-timeout',
  max_requests: '--max-requests',
  max_requests_jitter: '--max-requests-jitter',
  accesslog: '--access-logfile',
  errorlog: '--error-logfile',
  access_log_format: '--access-logformat',
  loglevel: '--log-level',
  log_level: '--log-level',
  user: '--user',
  group: '--group',
  pidfile: '--pid',
  keepalive: '--keep-alive',
  worker_connections: '--worker-connections',
  reload: '--reload',
  daemon: '--daemon',
  preload_app: '--preload',
  chdir: '--chdir',
  proc_name: '--name',
};

export function readGunicornConfig(text: string, file: string, env: Env): GunicornFileSettings {
  const out: GunicornFileSettings = { args: [], notes: [] };
  const vars = new Map<string, Value>();
  const settings = new Map<string, Value>();
  /** the indentation of an `if` body being skipped, or taken */
  let block: { indent: number; take: boolean } | null = null;
  for (const { line, text: stmt, indent } of statements(text)) {
    const where = `${file}:${line}`;
    if (block && indent > block.indent) {
      if (!block.take) continue;
    } else block = null;
    if (/^(import|from)\s/.test(stmt)) continue;
    const cond = /^if\s+(.+):$/.exec(stmt);
    if (cond) {
      try {
        block = { indent, take: truthy(evaluate(cond[1] as string, vars, env)) };
      } catch (err) {
        out.notes.push(`${where}: ${stmt} ignored with its block (${(err as Error).message})`);
        block = { indent, take: false };
      }
      continue;
    }
    const assign = /^([A-Za-z_]\w*)\s*=\s*(.+)$/s.exec(stmt);
    if (!assign) {
      out.notes.push(`${where}: ${oneLine(stmt)}: ignored (only name = value assignments are read)`);
      continue;
    }
    const name = assign[1] as string;
    let value: Value;
    try {
      value = evaluate(assign[2] as string, vars, env);
    } catch (err) {
      out.notes.push(`${where}: ${name}: ignored (${(err as Error).message})`);
      continue;
    }
    vars.set(name, value);
    if (FLAGS[name]) settings.set(name, value);
    else if (name === 'debug' || name === 'spew') out.notes.push(`${where}: ${name}: ignored (no Berth equivalent)`);
    else if (name !== name.toLowerCase() || !/^[a-z_]+$/.test(name) || name === 'flavor')
      continue; // the file's own variables
    else out.notes.push(`${where}: ${name}: ignored (not a setting Berth knows)`);
  }
  for (const [name, value] of settings) {
    const flag = FLAGS[name] as string;
    if (typeof value === 'boolean') {
      if (value) out.args.push(flag);
    } else if (Array.isArray(value)) {
      for (const v of value) out.args.push(flag, String(v));
    } else if (value !== null) out.args.push(flag, String(value));
  }
  return out;
}

interface Statement {
  line: number;
  text: string;
  indent: number;
}

/** Logical lines: comments dropped, lines joined inside brackets and after a backslash. */
function statements(text: string): Statement[] {
  const out: Statement[] = [];
  let current: Statement | null = null;
  let depth = 0;
  text.split('\n').forEach((raw, i) => {
    const line = stripComment(raw);
    if (current === null) {
      if (line.trim() === '') return;
      current = { line: i + 1, text: '', indent: line.length - line.trimStart().length };
    }
    current.text += `${current.text ? ' ' : ''}${line.trim().replace(/\\$/, '')}`;
    depth += bracketDepth(line);
    if (depth <= 0 && !line.trimEnd().endsWith('\\')) {
      out.push(current);
      current = null;
      depth = 0;
    }
  });
  if (current) out.push(current);
  return out;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

function bracketDepth(line: string): number {
  let depth = 0;
  for (const t of tokenize(line, true)) {
    if (t === '(' || t === '[') depth++;
    else if (t === ')' || t === ']') depth--;
  }
  return depth;
}

const TOKEN = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(\d+(?:\.\d+)?)|([A-Za-z_][\w.]*)|(==|!=|[()[\],%+]))/y;

function tokenize(text: string, lenient = false): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (text.slice(pos).trim() === '') break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) {
      if (lenient) {
        pos++;
        continue;
      }
      throw new Error(`cannot read ${JSON.stringify(text.slice(pos).trim())}`);
    }
    tokens.push((m[1] ?? m[2] ?? m[3] ?? m[4]) as string);
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

/** Evaluate the small Python subset described in the header. */
function evaluate(text: string, vars: ReadonlyMap<string, Value>, env: Env): Value {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (expected?: string) => {
    const t = tokens[i++];
    if (t === undefined || (expected !== undefined && t !== expected)) throw new Error(`expected ${expected ?? 'more'} in ${JSON.stringify(text)}`);
    return t;
  };
  // Precedence, loosest first: or, and, == / !=, % and +, then a primary.
  const logical = (op: 'or' | 'and', next: () => Value) => (): Value => {
    let v = next();
    while (peek() === op) {
      take();
      const r = next();
      v = (op === 'or') === truthy(v) ? v : r;
    }
    return v;
  };
  const compare = (): Value => {
    const v = arith();
    if (peek() === '==' || peek() === '!=') {
      const op = take();
      const same = JSON.stringify(v) === JSON.stringify(arith());
      return op === '==' ? same : !same;
    }
    return v;
  };
  const or = logical('or', logical('and', compare));
  function arith(): Value {
    let v = primary();
    while (peek() === '%' || peek() === '+') {
      const op = take();
      const r = primary();
      if (op === '+') v = typeof v === 'number' && typeof r === 'number' ? v + r : `${v}${r}`;
      else v = percent(String(v), Array.isArray(r) ? r : [r]);
    }
    return v;
  }
  /** Comma-separated values up to `close` (taken). */
  function items(close: string): Value[] {
    const list: Value[] = [];
    while (peek() !== close) {
      list.push(or());
      if (peek() === ',') take();
    }
    take(close);
    return list;
  }
  function primary(): Value {
    const t = take();
    if (t === '(') {
      const tuple = items(')');
      return tuple.length === 1 ? (tuple[0] as Value) : tuple;
    }
    if (t === '[') return items(']');
    if (/^['"]/.test(t)) {
      let s = unquote(t);
      while (peek() !== undefined && /^['"]/.test(peek() as string)) s += unquote(take()); // 'a' 'b'
      return s;
    }
    if (/^\d/.test(t)) return Number(t);
    if (t === 'True' || t === 'False') return t === 'True';
    if (t === 'None') return null;
    if (t === 'not') return !truthy(primary());
    if (t === 'os.environ.get' || t === 'os.getenv') {
      take('(');
      const [name, fallback = null] = items(')');
      return env[String(name)] ?? fallback;
    }
    if (t === 'int' || t === 'str' || t === 'bool') {
      take('(');
      const [v, fallback] = items(')');
      const value = v === null || v === undefined ? (fallback ?? null) : v;
      if (t === 'str') return String(value);
      if (t === 'bool') return truthy(value);
      const n = Number(value);
      if (!Number.isInteger(n)) throw new Error(`int(${JSON.stringify(value)}) is not a whole number`);
      return n;
    }
    if (vars.has(t)) return vars.get(t) as Value;
    throw new Error(`${t} is not something this reader evaluates`);
  }
  const value = or();
  if (i < tokens.length) throw new Error(`cannot read ${JSON.stringify(text)}`);
  return value;
}

function unquote(token: string): string {
  return token.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

function percent(format: string, values: Value[]): string {
  let n = 0;
  return format.replace(/%[sd%]/g, (m) => (m === '%%' ? '%' : String(values[n++] ?? '')));
}

function truthy(v: Value | undefined): boolean {
  return !(v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && v.length === 0));
}

function oneLine(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
