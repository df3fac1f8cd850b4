/**
 * Which locks and leases the services use, decided once: with the `cache` Redis, keys there
 * that every instance on the store sees (README "Several instances on one store"); without
 * it, directories and files in lock_dir, which serve the processes of one host only.
 */
import { RedisCache } from '../cache/redis-cache.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import { HostLocks, type Takeover } from './host-lock.js';
import { LeaseFiles, Leases } from './leases.js';
import type { Locks } from './locks.js';
import { RedisLeaseRecords } from './redis-leases.js';
import { RedisLocks } from './redis-locks.js';

export interface TakeoverListeners {
  lock?: (t: Takeover) => void;
  push?: (t: Takeover) => void;
}

/** The server's and the operator tools' (scripts/verify) locks: `cache` is the `cache` Redis, when set. */
export function sharedLocking(
  config: Readonly<Config>,
  cache: RedisCache | null,
  log: Logger,
  onTakeover: TakeoverListeners = {},
): { locks: Locks; leases: Leases } {
  if (!cache) {
    return {
      locks: new HostLocks(config.lock_dir, onTakeover.lock ? { onTakeover: onTakeover.lock } : {}),
      leases: new Leases(new LeaseFiles(config.lock_dir), onTakeover.push ? { onTakeover: onTakeover.push } : {}),
    };
  }
  const redis = cache.connection();
  const onLost = (key: string) =>
    log.warn({ lock: key, shared_lock_ttl: config.shared_lock_ttl }, 'a lock expired while held (this process stalled); the work under it is not committed');
  return {
    locks: new RedisLocks(redis, { ttlMs: (config.shared_lock_ttl ?? 30) * 1000, onLost }),
    leases: new Leases(new RedisLeaseRecords(redis)),
  };
}

/**
 * An operator tool's view of the servers' locks (berth gc, scripts/verify): the same ones the
 * servers take, opened from the config, with what must be closed when the tool ends.
 */
export function operatorLocking(config: Readonly<Config>, log: Logger): { locks: Locks; close: () => Promise<void> } {
  const cache = config.cache.host ? new RedisCache(config.cache, log, 'cache') : null;
  const { locks } = sharedLocking(config, cache, log);
  return { locks, close: async () => void (await cache?.close()) };
}
