/**
 * berth-diff-worker: docker-registry's `diff-worker.py`. Takes image ids from the `cache`
 * Redis list `diff-worker` and stores each image's `_diff` (spec v1 §7.5), so that
 * `GET /v1/images/<id>/diff` has something to answer. Runs until SIGTERM/SIGINT; with
 * `--once`, until the queue is empty. Reads the same config as the server.
 */
import { RedisCache } from '../cache/redis-cache.js';
import { ConfigError } from '../config/errors.js';
import { createLogger } from '../logging/logger.js';
import { HostLocks } from '../services/host-lock.js';
import { ImageService } from '../services/v1/images.js';
import { DIFF_QUEUE, DiffService } from '../services/v1/layer-diff.js';
import { createStorage } from '../storage/factory.js';
import { cliArgs, withConfig } from './cli-args.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] berth-diff-worker [--once]

Computes the /diff of the images queued on the cache Redis (cache.host in config.yml).
  --once       stop when the queue is empty
  --help, --version`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(argv, { once: { type: 'boolean' } }, USAGE);
  if (typeof args === 'number') return args;
  const opened = withConfig((config) => {
    if (!config.cache.host)
      throw new ConfigError([{ key: 'cache.host', message: 'the diff queue lives on the cache Redis; set cache.host' }], config.flavor, config.source.path);
    return createStorage(config);
  });
  if (typeof opened === 'number') return opened;
  const { config, value: storage } = opened;
  const log = createLogger(config.loglevel).child({ name: 'berth-diff-worker' });
  const cache = new RedisCache(config.cache, log, 'cache');
  const diffs = new DiffService(storage, new ImageService(storage, new HostLocks(config.lock_dir)), cache);
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    await cache.ready;
    while (!stopping) {
      const item = await cache.popOldest(DIFF_QUEUE, 1);
      if (item === null) {
        if (args.once) break;
        continue;
      }
      let id: string;
      try {
        id = JSON.parse(item);
      } catch {
        log.warn({ item }, 'not a JSON image id; dropped');
        continue;
      }
      try {
        if (await diffs.work(id)) log.info({ id }, 'diff stored');
      } catch (err) {
        // As the Python worker: one image's failure never stops the others.
        log.warn({ err, id }, 'could not compute the diff');
      }
    }
    return 0;
  } finally {
    await Promise.allSettled([cache.close(), storage.close()]);
  }
}
