/**
 * Which locks and leases the services use, decided once: with the `cache` Redis, keys there
 * that every instance on the store sees (README "Several instances on one store"); without
 * it, directories and files in lock_dir, which serve the processes of one host only.
 */
import type { Deps } from '../deps.js';
import { HostLocks, type Takeover } from './host-lock.js';
import { LeaseFiles, Leases } from './leases.js';
import type { Locks } from './locks.js';
import { RedisLeaseRecords } from './redis-leases.js';
import { RedisLocks } from './redis-locks.js';

export function sharedLocking(deps: Deps, onTakeover: { lock: (t: Takeover) => void; push: (t: Takeover) => void }): { locks: Locks; leases: Leases } {
  const { config, cache, log } = deps;
  if (!cache) {
    return {
      locks: new HostLocks(config.lock_dir, { onTakeover: onTakeover.lock }),
      leases: new Leases(new LeaseFiles(config.lock_dir), { onTakeover: onTakeover.push }),
    };
  }
  const redis = cache.connection();
  const onLost = (key: string) =>
    log.warn({ lock: key, shared_lock_ttl: config.shared_lock_ttl }, 'a lock expired while held (this process stalled); the work under it is not committed');
  return {
    locks: new RedisLocks(redis, { ttlMs: (config.shared_lock_ttl ?? 30) * 1000, onLost }),
    leases: new Leases(new RedisLeaseRecords(redis), { onTakeover: onTakeover.push }),
  };
}
