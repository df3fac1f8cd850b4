/**
 * Passwords already found right, remembered for a minute, so that a client sending Basic
 * credentials with every request (every V2 client and Docker 1.x over HTTPS do) pays for one
 * bcrypt check a minute instead of one per request (bcrypt at htpasswd's cost costs tens of
 * milliseconds of CPU by design). What is kept is a keyed hash of the user and password
 * (HMAC-SHA256 under a key made at start and never stored), not the password, beside the
 * stored hash it matched: when the file gives the user another hash (a new password, a removed
 * user), the memory no longer counts. Wrong passwords are never remembered: each is checked,
 * and an address that keeps trying is slowed down (failed-logins.ts). Concurrent asks with the
 * same credentials (a client's first burst of parallel requests) share one check.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface CredentialCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class CredentialCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, { hash: string; until: number }>();
  /** checks running now, by credentials and stored hash */
  private readonly running = new Map<string, Promise<boolean>>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: CredentialCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Whether `password` matches `hash` (the user's stored hash): remembered, or answered by
   * `verify`, whose call is shared with any other ask of the same credentials while it runs.
   */
  async check(user: string, password: string, hash: string, verify: (password: string, hash: string) => Promise<boolean>): Promise<boolean> {
    if (this.knows(user, password, hash)) return true;
    const key = `${this.id(user, password)}\0${hash}`;
    const running = this.running.get(key);
    if (running) return running;
    const check = verify(password, hash)
      .then((ok) => {
        if (ok) this.remember(user, password, hash);
        return ok;
      })
      .finally(() => this.running.delete(key));
    this.running.set(key, check);
    return check;
  }

  /** `password` was found to match `hash` (the user's stored hash) within the last ttl. */
  knows(user: string, password: string, hash: string): boolean {
    const id = this.id(user, password);
    const entry = this.entries.get(id);
    if (!entry) return false;
    if (entry.hash !== hash || entry.until <= this.now()) {
      this.entries.delete(id);
      return false;
    }
    return true;
  }

  remember(user: string, password: string, hash: string): void {
    if (this.entries.size >= this.maxEntries) {
      // Oldest first (a Map keeps insertion order): drop one to make room.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(this.id(user, password), { hash, until: this.now() + this.ttlMs });
  }

  get size(): number {
    return this.entries.size;
  }

  private id(user: string, password: string): string {
    return createHmac('sha256', this.key).update(user).update('\0').update(password).digest('base64');
  }
}
