/**
 * The pull-through cache's eviction (lib/mirror/eviction.ts), every mirroring.evict_interval
 * seconds, once per host: its records and blobs are the store's, not a worker's, so one walk
 * does for every worker (as the upload purge does).
 */
import type { Logger } from '../logging/logger.js';
import type { MirrorEviction } from '../mirror/eviction.js';
import { type Job, periodicJob } from './job.js';

export function mirrorEvictionJob(eviction: MirrorEviction, intervalSeconds: number, log: Logger): Job {
  const periodic = periodicJob('mirror-eviction', intervalSeconds * 1000, async (signal) => {
    await eviction.run(signal).catch((err) => {
      if (!signal.aborted) log.error({ err }, 'mirror: eviction failed; it runs again at the next interval');
    });
  });
  return { ...periodic, perHost: true };
}
