/**
 * Locks shared by several Berth instances through the `cache` Redis (README "Several instances
 * on one store"), the single-instance Redis lock of the Redis documentation (`SET key token NX
 * PX ttl`; redis.io, "Distributed Locks with Redis"):
 *
 * - a lock is a key holding a random token, made with SET NX PX, so it exists once, and ends by
 *   itself `ttlMs` after its last renewal: an instance that died holds nothing for longer;
 * - its holder renews it every third of `ttlMs` while the work runs, and releases it at the end,
 *   both with a Lua script that compares the token first, so only the holder can extend or
 *   delete it, never a process whose lock expired and was taken by another;
 * - a holder that stalled past `ttlMs` may have lost its lock: HeldLock.check() (the token is
 *   still ours) runs before each commit, so it fails instead of writing over the new holder.
 * - a SET that fails client-side (commandTimeout) may still be applied by a slow server: a
 *   release with the token follows it at once, so no lock nobody holds outlives the 503.
 *
 * Waiters in the same process queue in memory first, as with HostLocks. Redis failing is a
 * 503 LOCK_SERVICE_UNAVAILABLE: work never runs without its lock.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { readyWithin } from '../cache/redis-cache.js';
import { GENERIC } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { KeyedMutex } from './keyed-mutex.js';
import { type HeldLock, type Locks, lockLost } from './locks.js';

/** KEYS[1]: the lock; ARGV[1]: the holder's token; ARGV[2]: the new lifetime in ms. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
/** KEYS[1]: the lock; ARGV[1]: the holder's token. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export const LOCK_PREFIX = 'berth:lock:';

export interface RedisLockOptions {
  ttlMs: number;
  /** told when a holder finds its lock gone (renewal or check): a log line */
  onLost?: (key: string) => void;
}

export class RedisLocks implements Locks {
  private readonly local = new KeyedMutex();

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisLockOptions,
  ) {}

  run<T>(key: string, work: (held: HeldLock) => Promise<T>): Promise<T> {
    return this.local.run(key, () => this.hold(key, work));
  }

  private async hold<T>(key: string, work: (held: HeldLock) => Promise<T>): Promise<T> {
    const name = LOCK_PREFIX + key;
    const token = randomUUID();
    const { ttlMs } = this.options;
    for (let wait = 10; !(await this.acquire(name, token)); wait = Math.min(wait * 2, 250)) {
      await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    }
    let lost = false;
    const lose = () => {
      if (!lost) this.options.onLost?.(key);
      lost = true;
    };
    // A renewal that fails (Redis away for a moment) is tried again at the next tick; check() tells.
    let renewing: Promise<unknown> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewing = this.redis.eval(RENEW, 1, name, token, ttlMs).then(
          (n) => n === 0 && lose(),
          () => {},
        );
      },
      Math.max(Math.floor(ttlMs / 3), 10),
    );
    timer.unref();
    const held: HeldLock = {
      check: async () => {
        if (!lost && (await lockService(this.redis, () => this.redis.get(name))) !== token) lose();
        if (lost) throw lockLost(key);
      },
    };
    try {
      return await work(held);
    } finally {
      clearInterval(timer);
      await renewing;
      // A release that fails leaves the key to expire.
      await this.release(name, token);
    }
  }

  /**
   * SET NX, true if we hold the lock now. A SET that fails here (the connection's
   * commandTimeout) may still be applied by a slow server: a release with our token follows it
   * on the same connection, so Redis runs it after the SET and a lock we never knew we held does
   * not block every instance for its lifetime.
   */
  private async acquire(name: string, token: string): Promise<boolean> {
    try {
      return (await lockService(this.redis, () => this.redis.set(name, token, 'PX', this.options.ttlMs, 'NX'))) === 'OK';
    } catch (err) {
      void this.release(name, token);
      throw err;
    }
  }

  /** Compare-and-delete: only our own lock goes. A release that fails leaves the key to expire. */
  private release(name: string, token: string): Promise<void> {
    return this.redis.eval(RELEASE, 1, name, token).then(
      () => {},
      () => {},
    );
  }
}

/** How long a lock or lease command waits for Redis to be connected (at start, after a restart) before it fails. */
const CONNECT_WAIT_MS = 2000;

/** A Redis command of the shared locks or leases; its failure is a 503 (work never runs unlocked). */
export async function lockService<T>(redis: Redis, command: () => Promise<T>): Promise<T> {
  // The connection queues nothing while it is away (redis-cache.ts): wait a little for it instead.
  if (redis.status !== 'ready') await readyWithin(redis, CONNECT_WAIT_MS);
  try {
    return await command();
  } catch (err) {
    throw new RegistryError(GENERIC.LOCK_SERVICE_UNAVAILABLE, { cause: err });
  }
}
