/**
 * A process that takes and releases one image's host lock and push lease as fast as it can,
 * for a test to kill -9 at a random moment: `node --import tsx test/support/churning-locker.ts
 * <lock_dir> <key>` says `churning` after its first round and goes on until killed. Whatever
 * instant the kill lands on, the next process must get the lock and the lease at once.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HostLocks } from '../../lib/services/host-lock.js';
import { LeaseFiles, Leases } from '../../lib/services/leases.js';
import { type ScriptProcess, startScript } from './process.js';

const THIS_FILE = fileURLToPath(import.meta.url);

/** Start a churning process and wait until it has been round once. */
export function startChurning(lockDir: string, key: string): Promise<ScriptProcess> {
  return startScript(THIS_FILE, [lockDir, key], 'churning');
}

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  const [lockDir, key] = process.argv.slice(2) as [string, string];
  // A stale limit of ten minutes: a lock left behind can only be taken because its holder is gone.
  const locks = new HostLocks(lockDir, { staleMs: 600_000 });
  const leases = new Leases(new LeaseFiles(lockDir), { idleMs: 600_000 });
  for (let round = 0; ; round++) {
    await locks.run(key, async () => {
      if (!(await leases.claim(key))) throw new Error('the lease is held by someone else');
      await leases.during(key, async () => {}, 600_000);
      await leases.release(key);
    });
    if (round === 0) process.stdout.write('churning\n');
  }
}
