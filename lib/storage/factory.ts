/**
 * `storage:` names a driver; this map builds it. Drivers the old registry had but Berth does
 * not are named in the error, so an operator knows it is a choice and not a typo.
 */

import { RedisCache } from '../cache/redis-cache.js';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import type { StorageDriver } from './driver.js';
import { type FallbackEvent, GlanceDriver } from './drivers/glance.js';
import { LocalDriver } from './drivers/local.js';
import { LruCachedDriver } from './drivers/lru-cache.js';
import { S3Driver } from './drivers/s3.js';
import { s3Settings } from './drivers/s3-settings.js';
import { GlanceApi } from './openstack/glance-api.js';
import { Keystone } from './openstack/keystone.js';

export interface StorageHooks {
  /** Glance failed and its alternate took an object instead. */
  onFallback?: (e: FallbackEvent) => void;
  /** where a `cache_lru` Redis reports that it is unavailable; without it no cache is used (scripts) */
  log?: Logger;
}

type Factory = (config: Readonly<Config>, hooks: StorageHooks) => StorageDriver;

const local: Factory = (c) => new LocalDriver(c.storage_path ?? '/tmp/registry');

const FACTORIES: Record<string, Factory> = {
  local,
  file: local,
  s3: (c) => {
    const { settings, issues } = s3Settings(c);
    if (!settings) throw new ConfigError(issues, c.flavor, c.source.path);
    return new S3Driver(settings);
  },
  glance: (c, hooks) => {
    const alternateName = c.storage_alternate ?? 'file';
    if (alternateName === 'glance' || !FACTORIES[alternateName]) {
      throw new ConfigError(
        [{ key: 'storage_alternate', message: `must be one of local, file, s3; got ${JSON.stringify(alternateName)}` }],
        c.flavor,
        c.source.path,
      );
    }
    const keystone =
      c.os_auth_url && c.os_username
        ? new Keystone({
            authUrl: c.os_auth_url,
            username: c.os_username,
            password: c.os_password ?? '',
            projectName: c.os_tenant_name ?? '',
            userDomain: c.os_user_domain_name,
            projectDomain: c.os_project_domain_name,
            region: c.os_region_name,
          })
        : null;
    if (!c.glance_url && !keystone) {
      throw new ConfigError(
        [{ key: 'glance_url', message: 'set glance_url (or OS_GLANCE_URL), or Keystone credentials (os_auth_url/OS_AUTH_URL, os_username/OS_USERNAME, …)' }],
        c.flavor,
        c.source.path,
      );
    }
    const alternate = (FACTORIES[alternateName] as Factory)(c, hooks);
    return new GlanceDriver(new GlanceApi(c.glance_url, keystone), alternate, hooks.onFallback);
  },
};

/** Drivers docker-registry shipped or documented that Berth does not implement. */
const NOT_IMPLEMENTED = ['swift', 'gcs', 'elliptics', 'azureblob', 'oss', 'dumb'];

export function createStorage(config: Readonly<Config>, hooks: StorageHooks = {}): StorageDriver {
  const factory = FACTORIES[config.storage];
  if (factory) {
    const driver = factory(config, hooks);
    return config.cache_lru.host && hooks.log
      ? new LruCachedDriver(driver, new RedisCache(config.cache_lru, hooks.log, 'cache_lru'), config.storage_path)
      : driver;
  }
  const known = Object.keys(FACTORIES).join(', ');
  const why = NOT_IMPLEMENTED.includes(config.storage)
    ? `the ${config.storage} driver is not available in Berth; available: ${known}`
    : `unknown storage driver ${JSON.stringify(config.storage)}; available: ${known}`;
  throw new ConfigError([{ key: 'storage', message: why }], config.flavor, config.source.path);
}
