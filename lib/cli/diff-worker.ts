/**
 * berth-diff-worker: docker-registry's `diff-worker.py`. Takes image ids from the `cache`
 * Redis list `diff-worker` and stores each image's `_diff` (spec v1 §7.5), so that
 * `GET /v1/images/<id>/diff` has something to answer. Runs until SIGTERM/SIGINT; with
 * `--once`, until the queue is empty. Reads the same config as the server.
 */
import { RedisCache } from '../cache/redis-cache.js';
import { ConfigError } from '../config/errors.js';
import { createLogger } from '../logging/logger.js';
import { isImageId } from '../names/v1.js';
import { HostLocks } from '../services/host-lock.js';
import { ImageService } from '../services/v1/images.js';
import { DIFF_QUEUE, DiffService } from '../services/v1/layer-diff.js';
import { createStorage } from '../storage/factory.js';
import { cliArgs, withConfig } from './cli-args.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] berth-diff-worker [--once]

Computes the /diff of the images queued on the cache Redis (cache.host in config.yml).
  --once       stop when the queue is empty
  --help, --version`;

const REDIS_WAIT_MS = 10_000;

/** A queue entry is a JSON string holding an image id; anything else is dropped. */
export function parseQueuedId(item: string): string | null {
  try {
    const id: unknown = JSON.parse(item);
    return typeof id === 'string' && isImageId(id) ? id : null;
  } catch {
    return null;
  }
}

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
  // The first SIGTERM/SIGINT ends the loop once the image in hand is done (a BRPOP gives up
  // within 2 s, also on a frozen Redis; a Redis that never answered is not waited for); a
  // second one exits at once.
  let stopping = false;
  let stopped!: () => void;
  const stop = new Promise<'stop'>((resolve) => {
    stopped = () => resolve('stop');
  });
  const onSignal = () => {
    if (stopping) process.exit(1);
    stopping = true;
    stopped();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const waits: Promise<unknown>[] = [cache.ready, stop];
    // A one-off run (cron) must not wait for a Redis that is not there.
    if (args.once) waits.push(new Promise((resolve) => setTimeout(resolve, REDIS_WAIT_MS, 'timeout').unref()));
    const first = await Promise.race(waits);
    if (first === 'stop') return 0;
    if (first === 'timeout') {
      log.error({ host: config.cache.host, port: config.cache.port }, `the cache Redis did not answer within ${REDIS_WAIT_MS / 1000} s`);
      return 1;
    }
    while (!stopping) {
      const item = await cache.popOldest(DIFF_QUEUE, 1);
      if (item === null) {
        if (args.once) break;
        continue;
      }
      const id = parseQueuedId(item);
      if (id === null) {
        log.warn({ item }, 'not a JSON-quoted image id; dropped');
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
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
