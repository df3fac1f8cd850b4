/**
 * Leases: marks, in the host's lock directory, that work spanning several requests is under
 * way, such as the json → layer → checksum push of one V1 image. They are written only under
 * the HostLock of the same key, so they need no locking of their own, and may be read without
 * it. A lease is live while it is renewed; it ends when released, when not renewed for
 * `idleMs`, or at once when the process that last renewed it is gone (lock-holder.ts).
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

export class Leases implements PushLeases {
  private readonly dir: string;
  private readonly idleMs: number;

  constructor(
    private readonly lockDir: string,
    private readonly options: LeaseOptions = {},
  ) {
    this.dir = path.join(lockDir, 'leases');
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  /** Whether someone holds the lease; may be asked without the key's lock. */
  async live(key: string): Promise<boolean> {
    return (await this.read(key)).state === 'live';
  }

  /** Under the key's lock: take the lease unless someone holds it; false when someone does. */
  async claim(key: string): Promise<boolean> {
    const { state, text } = await this.read(key);
    if (state === 'live') return false;
    if (state !== 'none') this.options.onTakeover?.({ key, reason: state, holder: text });
    await this.renew(key);
    return true;
  }

  async release(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
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

  /** Live for `forMs` from now, unless renewed or released; held by this process. */
  private async renew(key: string, forMs = this.idleMs): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true });
    // Whole or not at all (lock-files.ts): a kill mid-write must not leave a lease naming no one.
    await writeWhole(this.lockDir, this.file(key), JSON.stringify({ ...currentHolder(), key, forMs }));
  }

  private async read(key: string): Promise<{ state: 'none' | 'live' | TakeoverReason; text: string | null }> {
    const file = this.file(key);
    const [text, stat] = await Promise.all([fs.readFile(file, 'utf8').catch(() => null), fs.stat(file).catch(() => null)]);
    if (text === null || !stat) return { state: 'none', text: null };
    const holder = parseHolder(text);
    if (holder && holderGone(holder)) return { state: 'holder-gone', text };
    const forMs = typeof holder?.forMs === 'number' ? holder.forMs : this.idleMs;
    return { state: Date.now() - stat.mtimeMs > forMs ? 'stale' : 'live', text };
  }

  private file(key: string): string {
    return path.join(this.dir, lockName(key));
  }
}
