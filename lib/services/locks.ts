/**
 * The per-image and per-upload locks, two ways behind one interface, picked once in the
 * composition root (services/index.ts): HostLocks (host-lock.ts), directories in lock_dir,
 * for the processes of one host; RedisLocks (redis-locks.ts), keys in the `cache` Redis, for
 * several instances on one store.
 */
import { GENERIC } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';

/** What the work under a lock is handed. */
export interface HeldLock {
  /**
   * Throws LOCK_LOST unless this holder still holds the lock. Called right before a write that
   * commits (a chunk, a layer's checksum, a tag), so a holder whose lock was taken over while it
   * stalled cannot commit over the new holder's work.
   */
  check(): Promise<void>;
}

export interface Locks {
  run<T>(key: string, work: (held: HeldLock) => Promise<T>): Promise<T>;
}

export function lockLost(key: string): RegistryError {
  return new RegistryError(GENERIC.LOCK_LOST, { args: [key] });
}
