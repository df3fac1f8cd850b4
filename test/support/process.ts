/** Spawn the built server (`node dist`) as an operator would, and read its banner for the URL. */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';

export interface BerthProcess {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the listen URL from the banner (bounded wait). */
  ready(timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnBerth(env: Record<string, string>, args: string[] = [], cwd = INSTALL_DIR): BerthProcess {
  return spawnServer(process.execPath, [path.join(INSTALL_DIR, 'dist'), ...args], env, cwd);
}

const spawned = new Set<ChildProcess>();

/** SIGKILL whatever spawnServer() started that a test left running, and wait until it is gone. */
export async function killLeftoverServers(): Promise<number> {
  const left = [...spawned].filter((p) => p.exitCode === null && p.signalCode === null);
  await Promise.all(
    left.map(
      (p) =>
        new Promise<void>((resolve) => {
          p.once('exit', () => resolve());
          p.kill('SIGKILL');
        }),
    ),
  );
  return left.length;
}

/** Any command that ends up running `node dist` (npm start, say), with the same environment rules. */
export function spawnServer(command: string, args: string[], env: Record<string, string>, cwd = INSTALL_DIR): BerthProcess {
  const proc = spawn(command, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '', REGISTRY_HOST: '127.0.0.1', REGISTRY_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(proc);
  proc.once('exit', () => spawned.delete(proc));
  let out = '';
  let err = '';
  proc.stdout?.on('data', (c) => (out += c));
  proc.stderr?.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async ready(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
        if (m?.[1]) return m[1];
        if (proc.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      proc.kill('SIGKILL');
      throw new Error(`berth did not start.\nstdout:\n${out}\nstderr:\n${err}`);
    },
    kill(signal = 'SIGTERM') {
      proc.kill(signal);
    },
  };
}

/** The process exists (signal 0 reaches it). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Open a connection and send half a request, so the server has work in flight. */
export function halfRequest(url: string): Promise<net.Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), hostname, () => {
      s.write('GET /v1/_ping HTTP/1.1\r\nHost: x\r\n');
      resolve(s);
    });
    s.on('error', reject);
  });
}

/** A test script run as its own process (`node --import tsx <file> <args>`), for a test to kill -9. */
export interface ScriptProcess {
  pid: number;
  /** SIGKILL it and wait until it is gone */
  crash(): Promise<void>;
}

/** Start `file` with `args` and wait until it prints `says` (it must not exit before). */
export async function startScript(file: string, args: string[], says: string): Promise<ScriptProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c) => {
      out += c;
      if (out.includes(says)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(file)} exited (${code}) before saying ${says}`)));
  });
  return {
    pid: child.pid as number,
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
