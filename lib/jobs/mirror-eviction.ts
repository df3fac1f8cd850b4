/** The pull-through cache's eviction (lib/mirror/eviction.ts), every mirroring.evict_interval seconds. */
import type { Logger } from '../logging/logger.js';
import type { MirrorEviction } from '../mirror/eviction.js';
import { type Job, periodicJob } from './job.js';

export function mirrorEvictionJob(eviction: MirrorEviction, intervalSeconds: number, log: Logger): Job {
  return periodicJob('mirror-eviction', intervalSeconds * 1000, async (signal) => {
    await eviction.run(signal).catch((err) => {
      if (!signal.aborted) log.error({ err }, 'mirror: eviction failed; it runs again at the next interval');
    });
  });
}
