/**
 * The background sweep for abandoned V2 uploads (registry:2's upload purging). Each process
 * runs it, first at a random point of the interval so that the workers of one host do not
 * all walk the store at once; a sweep that overlaps another only deletes what is already old.
 */
import type { Logger } from '../../logging/logger.js';
import type { UploadService } from './uploads.js';

export function startUploadPurger(uploads: UploadService, ageSeconds: number, intervalSeconds: number, log: Logger): () => void {
  if (intervalSeconds <= 0) return () => {};
  let timer: NodeJS.Timeout;
  const sweep = async () => {
    try {
      const purged = (await uploads.purge(ageSeconds * 1000)).length;
      if (purged > 0) log.info({ purged, upload_purge_age: ageSeconds }, 'purged abandoned V2 uploads');
    } catch (err) {
      log.error({ err }, 'V2 upload purge failed');
    }
    timer = setTimeout(sweep, intervalSeconds * 1000);
    timer.unref();
  };
  timer = setTimeout(sweep, Math.random() * intervalSeconds * 1000);
  timer.unref();
  return () => clearTimeout(timer);
}
