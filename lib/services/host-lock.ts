/**
 * Locks that hold across the worker processes of one host (wsgi-compat runs several), for
 * serialising pushes of one image. A lock is a directory created with mkdir, which is atomic,
 * with a `holder` file inside naming the process that holds it (lock-holder.ts). A waiter
 * takes the lock over at once when that process is gone (killed, crashed: same host, pid no
 * longer running or now another process's), and otherwise when the holder has stopped
 * touching the lock for `staleMs` (a holder on another host, or an old lock without a
 * holder file). Waiters in the same process queue in memory first.
 *
 * A takeover is itself serialised: the waiter that made the lock's `takeover` directory
 * removes the lock, and only if its holder is still the one judged gone, so two waiters never
 * both take it, nor remove a lock a third has just taken.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { KeyedMutex } from './keyed-mutex.js';
import { makeDirWhole, reclaimMaking, removeDirWhole } from './lock-files.js';
import { currentHolder, holderGone, parseHolder } from './lock-holder.js';
import { type HeldLock, type Locks, lockLost } from './locks.js';

export type { HeldLock, Locks };

export type TakeoverReason = 'holder-gone' | 'stale';

export interface Takeover {
  key: string;
  reason: TakeoverReason;
  /** the holder file's content (pid, host, start), when the lock had one */
  holder: string | null;
}

export interface HostLockOptions {
  /** a lock not touched for this long is taken over even when its holder cannot be checked */
  staleMs?: number;
  heartbeatMs?: number;
  /** told of every lock taken over (services: a log line and berth_lock_takeovers_total) */
  onTakeover?: (takeover: Takeover) => void;
}

interface Judged {
  reason: TakeoverReason;
  holder: string | null;
  /** the lock directory's inode: a lock removed and made again is another lock */
  ino: number;
}

const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;
const HOLDER = 'holder';
const TAKEOVER = 'takeover';

/** A lock file's name for a key (sha256, so any key is a safe file name). */
export function lockName(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 40);
}

export class HostLocks implements Locks {
  private readonly local = new KeyedMutex();
  private readonly staleMs: number;
  private readonly heartbeatMs: number;
  /** the sweep of what killed processes left half-made, once per instance before its first lock */
  private reclaimed: Promise<unknown> | undefined;
  /** takeovers so far, by reason */
  readonly takeovers: Record<TakeoverReason, number> = { 'holder-gone': 0, stale: 0 };

  constructor(
    readonly dir: string,
    private readonly options: HostLockOptions = {},
  ) {
    this.staleMs = options.staleMs ?? STALE_MS;
    this.heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  }

  run<T>(key: string, work: (held: HeldLock) => Promise<T>): Promise<T> {
    return this.local.run(key, () => this.hold(key, work));
  }

  private async hold<T>(key: string, work: (held: HeldLock) => Promise<T>): Promise<T> {
    const lock = path.join(this.dir, lockName(key));
    const record = JSON.stringify({ ...currentHolder(), key, nonce: randomUUID() });
    await fs.mkdir(this.dir, { recursive: true });
    this.reclaimed ??= reclaimMaking(this.dir).catch(() => 0);
    await this.reclaimed;
    for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
      if (await makeDirWhole(this.dir, lock, HOLDER, record)) break;
      const judged = await this.judge(lock);
      if (judged && (await this.takeOver(lock, judged))) {
        this.takeovers[judged.reason]++;
        this.options.onTakeover?.({ key, reason: judged.reason, holder: judged.holder });
        wait = 10;
        continue;
      }
      await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      fs.utimes(path.join(lock, HOLDER), now, now).catch(() => {});
    }, this.heartbeatMs);
    heartbeat.unref();
    const held: HeldLock = {
      check: async () => {
        if ((await readHolder(lock)) !== record) throw lockLost(key);
      },
    };
    try {
      return await work(held);
    } finally {
      clearInterval(heartbeat);
      await this.release(lock, record);
    }
  }

  /** Why a lock someone holds may be taken over, or null while its holder may still be at work. */
  private async judge(lock: string): Promise<Judged | null> {
    const holder = await readHolder(lock);
    const state = await lockState(lock);
    if (holder === undefined || !state) return null; // released meanwhile
    const who = parseHolder(holder);
    if (who && holderGone(who)) return { reason: 'holder-gone', holder, ino: state.ino };
    return state.age > this.staleMs ? { reason: 'stale', holder, ino: state.ino } : null;
  }

  /** Remove a lock judged free, if it is still the one judged (see the header); true when removed. */
  private async takeOver(lock: string, judged: Judged): Promise<boolean> {
    const mark = path.join(lock, TAKEOVER);
    try {
      await fs.mkdir(mark);
    } catch (err) {
      // Another waiter is at it; one that died there leaves a mark that goes when stale.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        const left = await fs.stat(mark).catch(() => null);
        if (left && Date.now() - left.mtimeMs > this.staleMs) await fs.rmdir(mark).catch(() => {});
      }
      return false;
    }
    // The same lock (not one made since), the same holder (its record has a nonce), and for a
    // stale one still untouched (the heartbeat touches the holder file; the mark changed only the directory).
    const holder = await readHolder(lock);
    const state = await lockState(lock);
    const same = state?.ino === judged.ino && holder === judged.holder && (judged.reason !== 'stale' || holder === null || state.age > this.staleMs);
    if (!same) {
      await fs.rmdir(mark).catch(() => {});
      return false;
    }
    return removeDirWhole(this.dir, lock);
  }

  /** Remove the lock if it is still ours. */
  private async release(lock: string, record: string): Promise<void> {
    if ((await readHolder(lock)) !== record) return; // taken over after all (this process stalled past staleMs)
    await removeDirWhole(this.dir, lock);
  }
}

/** The holder file's text; null when there is none (an empty lock directory left by an older Berth); undefined when the lock is gone. */
async function readHolder(lock: string): Promise<string | null | undefined> {
  try {
    return await fs.readFile(path.join(lock, HOLDER), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    return (await fs.stat(lock).then(
      () => true,
      () => false,
    ))
      ? null
      : undefined;
  }
}

/** The lock directory's inode, and how long ago its holder last touched it (the directory's own time for an old-style lock); null when gone. */
async function lockState(lock: string): Promise<{ ino: number; age: number } | null> {
  const dir = await fs.stat(lock).catch(() => null);
  if (!dir) return null;
  const holder = await fs.stat(path.join(lock, HOLDER)).catch(() => null);
  return { ino: dir.ino, age: Date.now() - (holder ?? dir).mtimeMs };
}
