/**
 * A process that takes and releases one image's host lock and push lease as fast as it can,
 * for a test to kill -9 at a random moment: `node --import tsx test/support/churning-locker.ts
 * <lock_dir> <key>` says `churning` after its first round and goes on until killed. Whatever
 * instant the kill lands on, the next process must get the lock and the lease at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostLocks } from '../../lib/services/host-lock.js';
import { Leases } from '../../lib/services/leases.js';

const THIS_FILE = fileURLToPath(import.meta.url);

export interface ChurningProcess {
  pid: number;
  /** SIGKILL it and wait until it is gone */
  crash(): Promise<void>;
}

/** Start a churning process and wait until it has been round once. */
export async function startChurning(lockDir: string, key: string): Promise<ChurningProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', THIS_FILE, lockDir, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c) => {
      out += c;
      if (out.includes('churning')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the churning process exited (${code}) before its first round`)));
  });
  return {
    pid: child.pid as number,
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  const [lockDir, key] = process.argv.slice(2) as [string, string];
  // A stale limit of ten minutes: a lock left behind can only be taken because its holder is gone.
  const locks = new HostLocks(lockDir, { staleMs: 600_000 });
  const leases = new Leases(lockDir, { idleMs: 600_000 });
  for (let round = 0; ; round++) {
    await locks.run(key, async () => {
      if (!(await leases.claim(key))) throw new Error('the lease is held by someone else');
      await leases.during(key, async () => {}, 600_000);
      await leases.release(key);
    });
    if (round === 0) process.stdout.write('churning\n');
  }
}
