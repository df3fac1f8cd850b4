/**
 * A Redis connection for docker-registry's caches (`cache` and `cache_lru`; docker/docker-registry
 * `docker_registry/lib/cache.py`). A cache must never make the registry slower or less available
 * than no cache: commands are not queued while Redis is away and time out after a second, and
 * every failure is logged (at most once a minute) and answered as a miss, so storage is used
 * instead.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { loadIoredis } from '../optional-modules.js';

export interface RedisSettings {
  host: string | null;
  port: number | null;
  db: number | null;
  password: string | null;
}

const WARN_EVERY_MS = 60_000;

/** Whether `client` is connected, waiting up to `ms` for it. */
export function readyWithin(client: Redis, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    client.once('ready', onReady);
  });
}

export class RedisCache {
  private readonly client: Redis;
  private blockingClient: Redis | undefined;
  private closed = false;
  private lastWarning = 0;
  /** resolves once connected (tests wait for it; requests before it simply miss) */
  readonly ready: Promise<void>;

  constructor(
    settings: RedisSettings,
    private readonly log: Logger,
    readonly name: string,
  ) {
    this.client = new (loadIoredis().Redis)({
      host: settings.host ?? '127.0.0.1',
      port: settings.port ?? 6379,
      db: settings.db ?? 0,
      ...(settings.password ? { password: settings.password } : {}),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
      disconnectTimeout: 200, // so a stopping process is not held 2 s by a half-closed socket
      commandTimeout: 1000,
      retryStrategy: (times) => Math.min(200 * times, 5000),
    });
    this.client.on('error', (err) => this.warn(err, 'connection'));
    this.ready = new Promise((resolve) => this.client.once('ready', () => resolve()));
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await this.client.getBuffer(key);
    } catch (err) {
      this.warn(err, 'get');
      return null;
    }
  }

  /** false when Redis did not take it (the caller carries on without the cache) */
  async set(key: string, value: Buffer | string, ttlSeconds?: number): Promise<boolean> {
    try {
      if (ttlSeconds) await this.client.set(key, value, 'EX', ttlSeconds);
      else await this.client.set(key, value);
      return true;
    } catch (err) {
      this.warn(err, 'set');
      return false;
    }
  }

  async del(...keys: string[]): Promise<void> {
    try {
      await this.client.del(...keys);
    } catch (err) {
      this.warn(err, 'del');
    }
  }

  /**
   * Delete every key that starts with `prefix` (SCAN, so Redis is never blocked), bounded to
   * `maxRounds` SCAN calls of 1000 keys; a failure is logged and ends the sweep.
   */
  async delPrefix(prefix: string, maxRounds = 1000): Promise<void> {
    const pattern = `${prefix.replace(/[\\*?[\]^]/g, (c) => `\\${c}`)}*`;
    try {
      let cursor = '0';
      for (let round = 0; round < maxRounds; round++) {
        const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length > 0) await this.client.del(...keys);
        cursor = next;
        if (cursor === '0') return;
      }
      this.log.warn(
        { cache: this.name, prefix, rounds: maxRounds },
        `redis ${this.name}: stopped sweeping keys under a deleted path after ${maxRounds} SCAN rounds; some may stay until they expire`,
      );
    } catch (err) {
      this.warn(err, 'scan');
    }
  }

  /** LPUSH then LTRIM to `max` entries, in one round trip (docker-registry's capped queue). */
  async pushCapped(list: string, value: string, max: number): Promise<boolean> {
    try {
      await this.client
        .multi()
        .lpush(list, value)
        .ltrim(list, 0, max - 1)
        .exec();
      return true;
    } catch (err) {
      this.warn(err, 'lpush');
      return false;
    }
  }

  /** The oldest entry of `list`, waiting up to `timeoutSeconds`; null when none came (or Redis is away). */
  async popOldest(list: string, timeoutSeconds: number): Promise<string | null> {
    if (this.closed) return null;
    const client = this.blocking();
    if (client.status !== 'ready' && !(await readyWithin(client, timeoutSeconds * 1000))) return null;
    try {
      const got = await client.brpop(list, timeoutSeconds);
      return got ? got[1] : null;
    } catch (err) {
      if (this.closed) return null;
      this.warn(err, 'brpop');
      await new Promise((r) => setTimeout(r, 1000)); // not a busy loop while Redis is away
      return null;
    }
  }

  /** SET NX EX: true when this caller now holds `key` for `ttlSeconds`. */
  async lock(key: string, ttlSeconds: number): Promise<boolean> {
    try {
      return (await this.client.set(key, String(Date.now() + ttlSeconds * 1000), 'EX', ttlSeconds, 'NX')) === 'OK';
    } catch (err) {
      this.warn(err, 'lock');
      return false;
    }
  }

  /**
   * A second connection for blocking commands (the first keeps its 1 s command timeout). A
   * blocking command still times out on the client, a second after its own timeout, so a Redis
   * that stops answering (a frozen host, a dropped route) cannot hold a worker forever.
   */
  private blocking(): Redis {
    if (!this.blockingClient) {
      // No offline queue: a BRPOP queued while Redis is away would be sent on reconnect after
      // its client-side deadline had already answered null, and the item it popped be lost.
      this.blockingClient = this.client.duplicate({ commandTimeout: undefined, enableOfflineQueue: false, blockingTimeout: 1000, blockingTimeoutGrace: 1000 });
      this.blockingClient.on('error', (err) => this.warn(err, 'connection'));
    }
    return this.blockingClient;
  }

  /**
   * The connection itself, for the shared locks and leases (services/redis-locks.ts), which
   * must see a failure as one rather than as a miss.
   */
  connection(): Redis {
    return this.client;
  }

  /** For /_status: true when Redis answers. */
  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.disconnect();
    this.blockingClient?.disconnect();
  }

  private warn(err: unknown, op: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.log.warn({ err, cache: this.name, op }, `redis ${this.name} unavailable; using storage without it`);
  }
}
