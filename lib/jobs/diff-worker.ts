/**
 * docker-registry's `diff-worker.py` as a job: takes image ids from the `cache` Redis list
 * `diff-worker` and stores each image's `_diff`, so that `GET /v1/images/<id>/diff` has
 * something to answer. scripts/diff-worker runs it (the old registry ran its worker as a
 * separate process too).
 */
import type { RedisCache } from '../cache/redis-cache.js';
import type { Logger } from '../logging/logger.js';
import { isImageId } from '../names/v1.js';
import { DIFF_QUEUE, type DiffService } from '../services/v1/layer-diff.js';
import type { Job } from './job.js';

/** A one-off run (`once`) does not wait longer than this for a Redis that is not there. */
export const REDIS_WAIT_MS = 10_000;

/** A queue entry is a JSON string holding an image id; anything else is dropped. */
export function parseQueuedId(item: string): string | null {
  try {
    const id: unknown = JSON.parse(item);
    return typeof id === 'string' && isImageId(id) ? id : null;
  } catch {
    return null;
  }
}

export interface DiffWorkerJob extends Job {
  /** How the run ended: 'done' (stopped, or the queue emptied with `once`), or 'no-redis' (`once` and Redis never answered). */
  readonly finished: Promise<'done' | 'no-redis'>;
}

export function diffWorkerJob(diffs: DiffService, cache: RedisCache, log: Logger, options: { once: boolean }): DiffWorkerJob {
  // stop() ends the loop once the image in hand is done (a BRPOP gives up within 2 s, also on
  // a frozen Redis; a Redis that never answered is not waited for).
  let stopping = false;
  let stopped!: () => void;
  const stop = new Promise<'stop'>((resolve) => {
    stopped = () => resolve('stop');
  });
  let finished: Promise<'done' | 'no-redis'> | null = null;

  const run = async (): Promise<'done' | 'no-redis'> => {
    const waits: Promise<unknown>[] = [cache.ready, stop];
    if (options.once) waits.push(new Promise((resolve) => setTimeout(resolve, REDIS_WAIT_MS, 'timeout').unref()));
    const first = await Promise.race(waits);
    if (first === 'stop') return 'done';
    if (first === 'timeout') return 'no-redis';
    while (!stopping) {
      const item = await cache.popOldest(DIFF_QUEUE, 1);
      if (item === null) {
        if (options.once) break;
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
    return 'done';
  };

  const job: DiffWorkerJob = {
    name: 'diff-worker',
    get finished() {
      return finished ?? Promise.resolve('done' as const);
    },
    start() {
      finished ??= run();
    },
    async stop() {
      stopping = true;
      stopped();
      await finished;
    },
  };
  return job;
}
