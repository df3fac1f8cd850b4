/**
 * Fill a new or empty search index from storage, once, in the background: the server answers
 * meanwhile (searches see the index empty, then whole, never half of it).
 */
import type { Logger } from '../logging/logger.js';
import type { SearchService } from '../services/v1/search.js';
import type { Job } from './job.js';

export function searchRebuildJob(search: SearchService, log: Logger): Job {
  let running: Promise<void> | null = null;
  return {
    name: 'search-rebuild',
    perHost: true,
    start() {
      running ??= search.rebuildIfEmpty().then(
        (n) => void (n > 0 && log.info({ repositories: n }, 'search index rebuilt from storage')),
        (err) => log.error({ err }, 'could not rebuild the search index from storage'),
      );
    },
    async stop() {
      await running;
    },
  };
}
