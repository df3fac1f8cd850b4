// Shared by the benchmarks: start the built server (`node dist`) on a free loopback port
// and read its memory from /proc, so figures are the server's own, not the load generator's.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** `nodeArgs` go before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
export function startBerth(env = {}, nodeArgs = []) {
  return startServer([...nodeArgs, path.join(ROOT, 'dist')], {
    env: { PATH: process.env.PATH, REGISTRY_HOST: '127.0.0.1', REGISTRY_PORT: '0', LOGLEVEL: 'warning', ...env },
  });
}

/** bench/bare-server.mjs, storing its files in `dir`: the floor Berth's transfers are compared with. */
export function startBareServer(dir) {
  return startServer([path.join(ROOT, 'bench', 'bare-server.mjs'), dir], { env: { PATH: process.env.PATH } });
}

async function startServer(args, { env }) {
  const proc = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout.on('data', (c) => {
    out += c;
  });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
    if (m) return { proc, url: m[1], stop: () => stop(proc) };
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`${args[0]} did not start:\n${out}`);
}

async function stop(proc) {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  process.kill(proc.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (proc.exitCode === null) process.kill(proc.pid, 'SIGKILL');
}

/** Resident set size and its peak (VmHWM) of a process, in MiB. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

const TICK = 100; // clock ticks per second on Linux (getconf CLK_TCK)

/** user + system CPU seconds of a process so far */
export function cpuOf(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

// autocannon's parser (http-parser-js) waits for Content-Length bytes after a HEAD response unless
// its headers-complete callback answers "skip the body"; the client sets that callback right after
// calling setupClient, so it is wrapped on the next microtask, before any response can arrive.
export function headWithoutBody(client) {
  queueMicrotask(() => {
    const key = client.parser.constructor.kOnHeadersComplete;
    const onHeaders = client.parser[key];
    client.parser[key] = (info) => {
      onHeaders(info);
      return true;
    };
  });
}

export const MB = 1024 * 1024;

/** Milliseconds `fn` took. */
export async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * Write `size` bytes of random data to `file`, 1 MiB blocks each stamped with its index (so no
 * two blocks are equal), feeding every block to `hash` too; returns `hash`. Done once, outside
 * the timings.
 */
export async function writeRandomFile(file, size, hash) {
  const out = createWriteStream(file);
  const block = randomBytes(MB);
  for (let i = 0; i < size / MB; i++) {
    block.writeUInt32BE(i, 0);
    hash.update(block);
    if (!out.write(Buffer.from(block))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
  return hash;
}

const REQUEST_TIMEOUT_MS = 10 * 60_000;

/**
 * One request to a server under test; the response body is drained, or hashed when `sha256` is
 * set. A body may be a Buffer, a string or a stream. Resolves to { status, headers, size, digest }.
 */
export function request(url, method, { body, headers = {}, sha256 = false } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const h = sha256 ? createHash('sha256') : null;
      let size = 0;
      res.on('data', (c) => {
        size += c.length;
        h?.update(c);
      });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, size, digest: h ? `sha256:${h.digest('hex')}` : null }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url}: no progress for ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (body && typeof body.pipe === 'function') body.pipe(req);
    else req.end(body);
  });
}
