/**
 * Builds the object graph from a Config. No module-level singletons: a test builds a second
 * app on another driver or mail server by calling this again.
 */
import { RedisCache } from './cache/redis-cache.js';
import type { Config } from './config/load.js';
import type { Lifecycle } from './lifecycle.js';
import type { Logger } from './logging/logger.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { ExceptionMailer } from './notify/exception-mailer.js';
import { SearchIndex } from './search/search-index.js';
import type { StorageDriver } from './storage/driver.js';
import { createStorage } from './storage/factory.js';
import { StorageOutages } from './storage/outage.js';

export interface Deps {
  config: Readonly<Config>;
  log: Logger;
  metrics: Metrics;
  storage: StorageDriver;
  mailer: ExceptionMailer | null;
  lifecycle: Lifecycle;
  /** the /v1/search index, when search_backend is set */
  search: SearchIndex | null;
  /** the plain `cache` Redis (mirror tags, /_status), when cache.host is set */
  cache: RedisCache | null;
  /** when the process started serving; reported by the debug ping */
  startedAt: Date;
}

export function buildDeps(config: Readonly<Config>, log: Logger, overrides: Partial<Deps> = {}): Deps {
  const metrics = overrides.metrics ?? createMetrics(config.metrics);
  const mailer = config.email_exceptions.smtp_host ? new ExceptionMailer(config.email_exceptions, log, metrics) : null;
  return {
    config,
    log,
    metrics,
    storage:
      overrides.storage ??
      createStorage(config, {
        log,
        metrics,
        health: new StorageOutages(log),
        onFallback: ({ op, path, error }) => {
          metrics.storageFallbacks.inc({ op });
          log.warn({ err: error, path }, 'glance failed; stored on storage_alternate instead (run scripts/glance-restore once Glance is healthy)');
        },
      }),
    mailer: overrides.mailer === undefined ? mailer : overrides.mailer,
    lifecycle: overrides.lifecycle ?? { draining: false },
    search: overrides.search === undefined ? SearchIndex.open(config) : overrides.search,
    cache: overrides.cache === undefined ? (config.cache.host ? new RedisCache(config.cache, log, 'cache') : null) : overrides.cache,
    startedAt: new Date(),
  };
}

/** Release what the graph holds: pending mails, storage clients. */
export async function closeDeps(deps: Deps): Promise<void> {
  deps.search?.close();
  await Promise.allSettled([deps.mailer?.close(), deps.storage.close(), deps.cache?.close()]);
}
