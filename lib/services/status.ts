/**
 * The `/_status` check: a real storage round-trip (write, read back, delete a random key at
 * the storage root), and with a `cache` Redis a SETEX/GET of a random key, as docker-registry
 * 0.6.3–0.8.1 did, the checks run together, each bounded in time. (Without a `cache` the old
 * endpoint always answered 503 "unconfigured"; Berth checks what is configured.)
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { RedisCache } from '../cache/redis-cache.js';
import type { StorageDriver } from '../storage/driver.js';

export interface StatusReport {
  ok: boolean;
  body: { failures: Record<string, string>; host: string; services: string[] };
}

export const CHECK_TIMEOUT_MS = 10_000;

export async function checkStatus(storage: StorageDriver, cache: RedisCache | null = null): Promise<StatusReport> {
  const failures: Record<string, string> = {};
  const [storageFailure, redisFailure] = await Promise.all([
    withTimeout(storageRoundTrip(storage), CHECK_TIMEOUT_MS),
    cache ? withTimeout(redisRoundTrip(cache), CHECK_TIMEOUT_MS) : null,
  ]);
  if (storageFailure) failures.storage = storageFailure;
  if (redisFailure) failures.redis = redisFailure;
  const services = cache ? ['redis', 'storage'] : ['storage'];
  return { ok: Object.keys(failures).length === 0, body: { failures, host: os.hostname(), services } };
}

async function redisRoundTrip(cache: RedisCache): Promise<string | null> {
  const key = `_berth_status_${randomBytes(8).toString('hex')}`;
  const value = randomBytes(16).toString('hex');
  if (!(await cache.set(key, value, 5))) return 'redis did not take a key';
  const back = await cache.get(key);
  return back?.toString() === value ? null : 'redis did not give the key back';
}

/** Returns null when the round-trip worked, else what went wrong. */
async function storageRoundTrip(storage: StorageDriver): Promise<string | null> {
  const key = `_berth_status_${randomBytes(8).toString('hex')}`;
  const value = randomBytes(16);
  try {
    await storage.putContent(key, value);
    const back = await storage.getContent(key);
    if (!back.equals(value)) return 'read back different bytes than written';
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await storage.delete(key).catch(() => {});
  }
}

/** The check's answer, or a failure saying it did not answer within `ms`. */
export async function withTimeout(check: Promise<string | null>, ms: number): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms / 1000} s`), ms);
  });
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
