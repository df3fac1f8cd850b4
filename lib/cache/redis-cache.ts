/**
 * A Redis connection for docker-registry's caches (`cache` and `cache_lru`, spec v1 §8.3).
 * A cache must never make the registry slower or less available than no cache: commands are
 * not queued while Redis is away and time out after a second, and every failure is logged (at
 * most once a minute) and answered as a miss, so storage is used instead.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';

export interface RedisSettings {
  host: string | null;
  port: number | null;
  db: number | null;
  password: string | null;
}

const WARN_EVERY_MS = 60_000;

export class RedisCache {
  private readonly client: Redis;
  private lastWarning = 0;
  /** resolves once connected (tests wait for it; requests before it simply miss) */
  readonly ready: Promise<void>;

  constructor(
    settings: RedisSettings,
    private readonly log: Logger,
    readonly name: string,
  ) {
    this.client = new Redis({
      host: settings.host ?? '127.0.0.1',
      port: settings.port ?? 6379,
      db: settings.db ?? 0,
      ...(settings.password ? { password: settings.password } : {}),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2000,
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

  /** For /_status: true when Redis answers. */
  async ping(): Promise<boolean> {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private warn(err: unknown, op: string): void {
    const now = Date.now();
    if (now - this.lastWarning < WARN_EVERY_MS) return;
    this.lastWarning = now;
    this.log.warn({ err, cache: this.name, op }, `redis ${this.name} unavailable; using storage without it`);
  }
}
