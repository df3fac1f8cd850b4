/**
 * The supervised server as an operator runs it (`node dist` with workers, or wsgi-compat/gunicorn),
 * its output read for the workers' lines, plus the HTTP pieces the worker tests need: plain
 * requests on fresh or kept-alive connections, and an upload whose body the test paces.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { INSTALL_DIR } from '../../lib/version.js';
import { type BerthProcess, spawnServer } from './process.js';

export type Launched = BerthProcess & {
  /** pids of the workers that printed their banner so far */
  workerPids(): number[];
  /** the children the primary has right now (from /proc) */
  children(): number[];
  /** output lines (JSON parsed where they are JSON) */
  lines(): Array<Record<string, unknown>>;
};

export function launchGunicorn(args: string[], env: Record<string, string>, cwd: string): Launched {
  return wrap(spawnServer(process.execPath, [path.join(INSTALL_DIR, 'wsgi-compat', 'gunicorn'), ...args], env, cwd));
}

export function launchDist(env: Record<string, string>, cwd = INSTALL_DIR): Launched {
  return wrap(spawnServer(process.execPath, [path.join(INSTALL_DIR, 'dist')], env, cwd));
}

function wrap(p: BerthProcess): Launched {
  const lines = () =>
    p
      .stdout()
      .concat(p.stderr())
      .split('\n')
      .flatMap((l) => {
        try {
          const v: unknown = JSON.parse(l);
          return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      });
  return Object.assign(p, {
    lines,
    workerPids: () => [...new Set(lines().flatMap((l) => (typeof l.msg === 'string' && l.msg.includes('listening on') ? [l.pid as number] : [])))],
    children: () => {
      const pid = p.proc.pid as number;
      try {
        return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
  });
}

export async function waitFor(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request; `agent` false: a connection of its own. Errors (a reset connection) reject. */
export function request(
  base: string,
  method: string,
  pathname: string,
  options: { headers?: Record<string, string>; body?: Buffer | Readable; agent?: http.Agent | false } = {},
): Promise<Answer> {
  const url = new URL(pathname, base);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body instanceof Readable) options.body.pipe(req);
    else req.end(options.body);
  });
}

/**
 * A body of `total` bytes made of one random MiB repeated, sent as fast as the server takes it
 * except that it waits at `pauseAt` bytes until `resume()`: the test does its thing mid-upload.
 */
export function pacedBody(total: number, pauseAt: number) {
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const hash = createHash('sha256');
  for (let sent = 0; sent < total; sent += block.length) hash.update(block.subarray(0, Math.min(block.length, total - sent)));
  let sent = 0;
  let waiting: (() => void) | null = null;
  let paused = false;
  let reachedPause!: () => void;
  const atPause = new Promise<void>((r) => {
    reachedPause = r;
  });
  const next = () => {
    if (sent >= total) return void stream.push(null);
    const n = Math.min(block.length, total - sent);
    sent += n;
    stream.push(block.subarray(0, n));
  };
  const stream = new Readable({
    read() {
      if (sent >= pauseAt && !paused) {
        paused = true;
        reachedPause();
        waiting = next;
        return;
      }
      next();
    },
  });
  return {
    stream,
    digest: `sha256:${hash.digest('hex')}`,
    /** resolves once `pauseAt` bytes are out */
    atPause,
    resume() {
      const go = waiting;
      waiting = null;
      go?.();
    },
  };
}
