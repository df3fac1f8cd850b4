/**
 * Locks that hold across the worker processes of one host (wsgi-compat runs several), for
 * serialising pushes of one image. A lock is a directory created with mkdir, which is atomic;
 * its holder touches it while working, so a lock left by a killed process is recognised as
 * stale and taken over. Waiters in the same process queue in memory first.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KeyedMutex } from './keyed-mutex.js';

export interface Locks {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;

export class HostLocks implements Locks {
  private readonly local = new KeyedMutex();

  constructor(
    private readonly dir: string,
    private readonly staleMs = STALE_MS,
    private readonly heartbeatMs = HEARTBEAT_MS,
  ) {}

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.local.run(key, () => this.hold(key, work));
  }

  private async hold<T>(key: string, work: () => Promise<T>): Promise<T> {
    const lock = path.join(this.dir, createHash('sha256').update(key).digest('hex').slice(0, 40));
    await fs.mkdir(this.dir, { recursive: true });
    for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
      try {
        await fs.mkdir(lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const age = await fs.stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => 0,
        );
        // Its holder stopped touching it: the process died. Take it over (rmdir fails harmlessly if another waiter was first).
        if (age > this.staleMs) await fs.rmdir(lock).catch(() => {});
        else await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
      }
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      fs.utimes(lock, now, now).catch(() => {});
    }, this.heartbeatMs);
    heartbeat.unref();
    try {
      return await work();
    } finally {
      clearInterval(heartbeat);
      await fs.rmdir(lock).catch(() => {});
    }
  }
}
