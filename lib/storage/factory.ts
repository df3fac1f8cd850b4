/**
 * `storage:` names a driver; this map builds it, once validate.ts has accepted the settings
 * (drivers the old registry had but Berth does not are named there, so an operator knows it
 * is a choice and not a typo).
 */

import { RedisCache } from '../cache/redis-cache.js';
import { configError } from '../config/errors.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import type { StorageMetrics } from '../metrics/registry.js';
import { CheckedDriver } from './checked-driver.js';
import type { StorageDriver } from './driver.js';
import { type FallbackEvent, GlanceDriver } from './drivers/glance.js';
import { LocalDriver } from './drivers/local.js';
import { RedisTtlCacheDriver } from './drivers/redis-ttl-cache.js';
import { S3Driver } from './drivers/s3.js';
import { s3Settings } from './drivers/s3-settings.js';
import { GlanceApi } from './openstack/glance-api.js';
import { Keystone } from './openstack/keystone.js';
import type { StoreHealth } from './outage.js';
import { type DriverName, glanceAlternate, keystoneCredentials, storageRoot, validateStorage } from './validate.js';

export interface StorageHooks {
  /** Glance failed and its alternate took an object instead. */
  onFallback?: (e: FallbackEvent) => void;
  /** where a `cache_lru` Redis reports that it is unavailable; without it no cache is used (scripts) */
  log?: Logger;
  /** where every driver's calls and bytes are counted (the app's /metrics); scripts count nothing */
  metrics?: StorageMetrics;
  /** told when a store (S3, Glance) cannot be reached and when it answers again */
  health?: StoreHealth;
}

type Factory = (config: Readonly<Config>, hooks: StorageHooks) => StorageDriver;

const local: Factory = (c) => new LocalDriver(storageRoot(c));

const glance = (c: Readonly<Config>, hooks: StorageHooks): GlanceDriver => {
  const credentials = keystoneCredentials(c);
  const alternate = new CheckedDriver(FACTORIES[glanceAlternate(c) as DriverName](c, hooks), hooks.metrics);
  return new GlanceDriver(new GlanceApi(c.glance_url, credentials ? new Keystone(credentials) : null), alternate, hooks.onFallback, hooks.health);
};

const FACTORIES: Record<DriverName, Factory> = {
  local,
  file: local,
  s3: (c, hooks) => {
    const { settings, issues } = s3Settings(c);
    if (!settings) throw configError(c, issues);
    return new S3Driver(settings, hooks.health);
  },
  glance,
};

function validated(config: Readonly<Config>): DriverName {
  const { issues } = validateStorage(config);
  if (issues.length > 0) throw configError(config, issues);
  // validateStorage accepted the driver's name (and Glance's alternate's).
  return config.storage as DriverName;
}

/** The configured driver, behind the cache_lru wrapper when one is set, checked and counted (checked-driver.ts). */
export function createStorage(config: Readonly<Config>, hooks: StorageHooks = {}): StorageDriver {
  const driver = FACTORIES[validated(config)](config, hooks);
  const cached =
    config.cache_lru.host && hooks.log
      ? new RedisTtlCacheDriver(driver, new RedisCache(config.cache_lru, hooks.log, 'cache_lru'), config.storage_path)
      : driver;
  return new CheckedDriver(cached, hooks.metrics);
}

/**
 * The Glance driver itself (its alternate checked as createStorage's is), for the operator
 * tools that work on what only it knows; null when storage is not glance.
 */
export function createGlanceDriver(config: Readonly<Config>, hooks: StorageHooks = {}): GlanceDriver | null {
  return validated(config) === 'glance' ? glance(config, hooks) : null;
}
