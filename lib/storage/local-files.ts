/**
 * Whether a driver's objects are plain files under storage_path (the local driver, also behind
 * the `cache_lru` wrapper), so a front server can send them itself (`nginx_x_accel_redirect`).
 */
import type { StorageDriver } from './driver.js';
import { LocalDriver } from './drivers/local.js';
import { RedisTtlCacheDriver } from './drivers/redis-ttl-cache.js';

export function servesLocalFiles(driver: StorageDriver): boolean {
  const base = driver instanceof RedisTtlCacheDriver ? driver.inner : driver;
  return base instanceof LocalDriver;
}
