/**
 * Leases: marks that work spanning several requests is under way, such as the json → layer →
 * checksum push of one V1 image. They are written only under the lock of the same key, so
 * they need no locking of their own, and may be read without it. A lease is live while it is
 * renewed; it ends when released, or when not renewed for `idleMs`. Where they are kept is a
 * LeaseRecords: files in the host's lock directory (LeaseFiles, below; a lease also ends at once
 * when the process that last renewed it is gone, lock-holder.ts), or keys in the `cache` Redis
 * for several instances (redis-leases.ts), picked with the locks in services/index.ts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { lockName, type Takeover, type TakeoverReason } from './host-lock.js';
import { writeWhole } from './lock-files.js';
import { currentHolder, holderGone, parseHolder } from './lock-holder.js';

export interface PushLeases {
  live(key: string): Promise<boolean>;
  claim(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
  during<T>(key: string, work: () => Promise<T>, thenForMs?: number): Promise<T>;
}

/** Longer than the pause between two requests of a push (Docker ≤ 1.9 tars a layer to disk between its json and its layer). */
const IDLE_MS = 20_000;
const RENEW_MS = 5_000;

export interface LeaseOptions {
  idleMs?: number;
  /** told when a lease its holder left is claimed by someone else: gone (its process ended) or stale (not renewed in time) */
  onTakeover?: (takeover: Takeover) => void;
}

export type LeaseState = 'none' | 'live' | TakeoverReason;

/** Where leases are kept. */
export interface LeaseRecords {
  /** the lease's state, and its record (for the takeover log) */
  read(key: string, idleMs: number): Promise<{ state: LeaseState; text: string | null }>;
  /** live for `forMs` from now, held by this process */
  write(key: string, forMs: number): Promise<void>;
  remove(key: string): Promise<void>;
}

export class Leases implements PushLeases {
  private readonly idleMs: number;

  constructor(
    private readonly records: LeaseRecords,
    private readonly options: LeaseOptions = {},
  ) {
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  /** Whether someone holds the lease; may be asked without the key's lock. */
  async live(key: string): Promise<boolean> {
    return (await this.records.read(key, this.idleMs)).state === 'live';
  }

  /** Under the key's lock: take the lease unless someone holds it; false when someone does. */
  async claim(key: string): Promise<boolean> {
    const { state, text } = await this.records.read(key, this.idleMs);
    if (state === 'live') return false;
    if (state !== 'none') this.options.onTakeover?.({ key, reason: state, holder: text });
    await this.renew(key);
    return true;
  }

  release(key: string): Promise<void> {
    return this.records.remove(key);
  }

  /**
   * Renewed while `work` runs (a long upload), and when it is done for `thenForMs` (the
   * pause before the next request); work that fails ends the lease.
   */
  async during<T>(key: string, work: () => Promise<T>, thenForMs = this.idleMs): Promise<T> {
    await this.renew(key);
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(() => this.renew(key)).catch(() => {});
    }, RENEW_MS);
    timer.unref();
    const stop = async () => {
      clearInterval(timer);
      await renewing;
    };
    try {
      const result = await work();
      await stop();
      await this.renew(key, thenForMs);
      return result;
    } catch (err) {
      await stop();
      await this.release(key);
      throw err;
    }
  }

  /** Live for `forMs` from now, unless renewed or released. */
  private renew(key: string, forMs = this.idleMs): Promise<void> {
    return this.records.write(key, forMs);
  }
}

/** Leases as files in `<lock_dir>/leases`, their age the file's mtime. */
export class LeaseFiles implements LeaseRecords {
  private readonly dir: string;

  constructor(private readonly lockDir: string) {
    this.dir = path.join(lockDir, 'leases');
  }

  async write(key: string, forMs: number): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    // Whole or not at all (lock-files.ts): a kill mid-write must not leave a lease naming no one.
    await writeWhole(this.lockDir, this.file(key), JSON.stringify({ ...currentHolder(), key, forMs }));
  }

  async remove(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }

  async read(key: string, idleMs: number): Promise<{ state: LeaseState; text: string | null }> {
    const file = this.file(key);
    const [text, stat] = await Promise.all([fs.readFile(file, 'utf8').catch(() => null), fs.stat(file).catch(() => null)]);
    if (text === null || !stat) return { state: 'none', text: null };
    const holder = parseHolder(text);
    if (holder && holderGone(holder)) return { state: 'holder-gone', text };
    const forMs = typeof holder?.forMs === 'number' ? holder.forMs : idleMs;
    return { state: Date.now() - stat.mtimeMs > forMs ? 'stale' : 'live', text };
  }

  private file(key: string): string {
    return path.join(this.dir, lockName(key));
  }
}
