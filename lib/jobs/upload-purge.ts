/**
 * The background sweep for what uploads leave behind: every upload_purge_interval, V2 upload
 * sessions older than upload_purge_age go (registry:2's upload purging), and so do crash
 * leftovers (temp files, S3 multipart uploads, Glance staging images, lib/maintenance/leftovers.ts)
 * whose writer is gone. The leftovers are also swept once as the job starts, so that what a
 * crash left is reclaimed when the server comes back. A sweep that overlaps another (another
 * worker, or scripts/purge-uploads) only deletes what is already abandoned.
 */
import type { Logger } from '../logging/logger.js';
import { formatBytes, reclaimLeftovers } from '../maintenance/leftovers.js';
import { purgeUploads } from '../maintenance/purge-uploads.js';
import type { StorageDriver } from '../storage/driver.js';
import { type Job, periodicJob } from './job.js';

export interface UploadPurgeSettings {
  /** upload_purge_age */
  uploadAgeSeconds: number;
  /** leftover_age */
  leftoverAgeSeconds: number;
  /** upload_purge_interval */
  intervalSeconds: number;
}

/** How many reclaimed names one log line lists. */
const NAMES_LOGGED = 20;

export function uploadPurgeJob(storage: StorageDriver, settings: UploadPurgeSettings, log: Logger): Job {
  const { uploadAgeSeconds, leftoverAgeSeconds, intervalSeconds } = settings;
  const reclaim = async (signal: AbortSignal) => {
    try {
      const done = await reclaimLeftovers(storage, { maxAgeMs: leftoverAgeSeconds * 1000, signal });
      const removed = done.filter((l) => l.error === undefined);
      const failed = done.filter((l) => l.error !== undefined);
      if (removed.length > 0) {
        const bytes = removed.reduce((sum, l) => sum + (l.size ?? 0), 0);
        log.info(
          { reclaimed: removed.length, bytes, names: removed.slice(0, NAMES_LOGGED).map((l) => l.name) },
          `reclaimed ${removed.length} crash leftover(s), ${formatBytes(bytes)}`,
        );
      }
      for (const l of failed) log.warn({ name: l.name, error: l.error }, 'could not reclaim a crash leftover; the next sweep tries again');
    } catch (err) {
      if (!signal.aborted) log.error({ err }, 'crash leftover sweep failed');
    }
  };
  const periodic = periodicJob('upload-purge', intervalSeconds * 1000, async (signal) => {
    try {
      const purged = (await purgeUploads(storage, uploadAgeSeconds * 1000, { signal })).length;
      if (purged > 0) log.info({ purged, upload_purge_age: uploadAgeSeconds }, 'purged abandoned V2 uploads');
    } catch (err) {
      if (!signal.aborted) log.error({ err }, 'V2 upload purge failed');
    }
    await reclaim(signal);
  });
  const atStart = new AbortController();
  let first: Promise<void> | null = null;
  return {
    name: periodic.name,
    perHost: true,
    start() {
      periodic.start();
      first ??= reclaim(atStart.signal);
    },
    async stop() {
      atStart.abort();
      await Promise.all([first, periodic.stop()]);
    },
  };
}
