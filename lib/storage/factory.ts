/**
 * `storage:` names a driver; this map builds it. Drivers the old registry had but Berth does
 * not are named in the error, so an operator knows it is a choice and not a typo.
 */

import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/load.js';
import type { StorageDriver } from './driver.js';
import { LocalDriver } from './drivers/local.js';

type Factory = (config: Config) => StorageDriver;

const FACTORIES: Record<string, Factory> = {
  local: (c) => new LocalDriver(c.storage_path ?? '/tmp/registry'),
  file: (c) => new LocalDriver(c.storage_path ?? '/tmp/registry'),
};

/** Drivers docker-registry shipped or documented that Berth does not implement (yet). */
const NOT_IMPLEMENTED = ['s3', 'glance', 'swift', 'gcs', 'elliptics', 'azureblob', 'oss', 'dumb'];

export function createStorage(config: Config): StorageDriver {
  const factory = FACTORIES[config.storage];
  if (factory) return factory(config);
  const known = Object.keys(FACTORIES).join(', ');
  const why = NOT_IMPLEMENTED.includes(config.storage)
    ? `the ${config.storage} driver is not available in this Berth build; available: ${known}`
    : `unknown storage driver ${JSON.stringify(config.storage)}; available: ${known}`;
  throw new ConfigError([{ key: 'storage', message: why }], config.flavor, config.source.path);
}
