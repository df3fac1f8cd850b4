/**
 * V1 push leases (leases.ts) as keys in the `cache` Redis, for several instances on one store:
 * a lease is a key with a lifetime (PX), live while it exists. Redis ends a lease nobody renews
 * by itself, so a push whose instance died frees its image after the lease's idle time; there
 * is no stale record left to take over. Redis failing is a 503 LOCK_SERVICE_UNAVAILABLE.
 */
import type { Redis } from 'ioredis';
import type { LeaseRecords, LeaseState } from './leases.js';
import { currentHolder } from './lock-holder.js';
import { lockService } from './redis-locks.js';

export const LEASE_PREFIX = 'berth:lease:';

export class RedisLeaseRecords implements LeaseRecords {
  constructor(private readonly redis: Redis) {}

  async read(key: string): Promise<{ state: LeaseState; text: string | null }> {
    const text = await lockService(this.redis, () => this.redis.get(LEASE_PREFIX + key));
    return { state: text === null ? 'none' : 'live', text };
  }

  async write(key: string, forMs: number): Promise<void> {
    await lockService(this.redis, () => this.redis.set(LEASE_PREFIX + key, JSON.stringify({ ...currentHolder(), key, forMs }), 'PX', forMs));
  }

  async remove(key: string): Promise<void> {
    await lockService(this.redis, () => this.redis.del(LEASE_PREFIX + key));
  }
}
