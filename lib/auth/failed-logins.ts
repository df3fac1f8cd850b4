/**
 * Slows down password guessing from one address: after a few free failures, each answer to
 * that address waits longer (250 ms, doubling, at most 10 s) until it logs in successfully or
 * stops failing for 15 minutes. A wait, not a lockout: a lockout would let anyone lock a
 * user out by failing on purpose, and a legitimate user who mistypes a few times barely
 * notices. What it slows is the attacker's guesses per second, which is what matters.
 *
 * Memory is bounded: at most `maxAddresses` addresses are remembered, the one that failed
 * least recently is forgotten first, so a flood of addresses costs a fixed amount of memory
 * (and an attacker who cycles through more addresses than that was not slowed by a per-address
 * counter anyway). An IPv6 address counts as its /64, the unit one host or site is given.
 *
 * Once an address is being slowed down its checks also run one at a time: parallel guesses
 * would otherwise all compute the same wait and then all be checked together.
 */
import { addressKey } from '../names/client-address.js';

export interface FailedLoginsOptions {
  /** addresses remembered at most (default 10,000) */
  maxAddresses?: number;
  /** failures answered without a wait (default 5) */
  freeFailures?: number;
  /** failures are forgotten after this long without one (default 15 minutes) */
  windowMs?: number;
  /** the first wait (default 250 ms); each further failure doubles it */
  baseDelayMs?: number;
  /** the longest wait (default 10 s) */
  maxDelayMs?: number;
  now?: () => number;
}

interface Failures {
  count: number;
  last: number;
}

export class FailedLogins {
  private readonly byAddress = new Map<string, Failures>();
  /** the last queued check of each slowed-down address */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly maxAddresses: number;
  private readonly freeFailures: number;
  private readonly windowMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;

  constructor(options: FailedLoginsOptions = {}) {
    this.maxAddresses = Math.max(1, options.maxAddresses ?? 10_000);
    this.freeFailures = Math.max(0, options.freeFailures ?? 5);
    this.windowMs = options.windowMs ?? 15 * 60_000;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs a login check for `address`: at once while the address is not slowed down; after that
   * queued behind the address's earlier checks, each after its wait.
   */
  async check<T>(address: string, run: () => Promise<T>): Promise<T> {
    const key = addressKey(address);
    const before = this.queues.get(key);
    if (!before && this.delayFor(address) === 0) return run();
    const mine = (before ?? Promise.resolve()).then(async () => {
      const delay = this.delayFor(address);
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      return run();
    });
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return mine;
  }

  /** How long (ms) to wait before answering a login attempt from `address`. */
  delayFor(address: string): number {
    const failures = this.current(addressKey(address));
    if (!failures || failures.count < this.freeFailures) return 0;
    const doublings = Math.min(failures.count - this.freeFailures, 30);
    return Math.min(this.baseDelayMs * 2 ** doublings, this.maxDelayMs);
  }

  failed(address: string): void {
    address = addressKey(address);
    const count = (this.current(address)?.count ?? 0) + 1;
    // Re-inserted so that the Map's order is the order of last failure: the first key is the one to forget.
    this.byAddress.delete(address);
    this.byAddress.set(address, { count, last: this.now() });
    while (this.byAddress.size > this.maxAddresses) {
      const oldest = this.byAddress.keys().next().value as string;
      this.byAddress.delete(oldest);
    }
  }

  succeeded(address: string): void {
    this.byAddress.delete(addressKey(address));
  }

  /** How many addresses are remembered (for metrics and tests). */
  get size(): number {
    return this.byAddress.size;
  }

  private current(address: string): Failures | undefined {
    const failures = this.byAddress.get(address);
    if (failures && this.now() - failures.last >= this.windowMs) {
      this.byAddress.delete(address);
      return undefined;
    }
    return failures;
  }
}
