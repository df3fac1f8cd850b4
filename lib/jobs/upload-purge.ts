/**
 * The background sweep for abandoned V2 uploads (registry:2's upload purging): every
 * upload_purge_interval, sessions older than upload_purge_age go. A sweep that overlaps
 * another (another worker, or scripts/purge-uploads) only deletes what is already old.
 */
import type { Logger } from '../logging/logger.js';
import { purgeUploads } from '../maintenance/purge-uploads.js';
import type { StorageDriver } from '../storage/driver.js';
import { type Job, periodicJob } from './job.js';

export function uploadPurgeJob(storage: StorageDriver, ageSeconds: number, intervalSeconds: number, log: Logger): Job {
  return periodicJob('upload-purge', intervalSeconds * 1000, async (signal) => {
    try {
      const purged = (await purgeUploads(storage, ageSeconds * 1000, { signal })).length;
      if (purged > 0) log.info({ purged, upload_purge_age: ageSeconds }, 'purged abandoned V2 uploads');
    } catch (err) {
      if (!signal.aborted) log.error({ err }, 'V2 upload purge failed');
    }
  });
}
