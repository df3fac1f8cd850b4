/**
 * One holder per key at a time, within this process: concurrent pushes of the same image
 * (or tag) run one after the other instead of interleaving their writes.
 */
import type { HeldLock, Locks } from './locks.js';

/** Within one process a holder cannot lose its turn, so there is nothing to check. */
const HELD_IN_PROCESS: HeldLock = { check: async () => {} };

export class KeyedMutex implements Locks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: (held: HeldLock) => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work(HELD_IN_PROCESS);
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
