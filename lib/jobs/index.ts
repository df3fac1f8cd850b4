/** The jobs a server runs beside its requests; its lifecycle (server.ts) starts and stops them. */
import type { Deps } from '../deps.js';
import { MirrorEviction } from '../mirror/eviction.js';
import type { Services } from '../services/index.js';
import { activityFlushJob } from './activity-flush.js';
import { bridgeResumeJob } from './bridge-resume.js';
import type { Job } from './job.js';
import { mirrorEvictionJob } from './mirror-eviction.js';
import { searchRebuildJob } from './search-rebuild.js';
import { uploadPurgeJob } from './upload-purge.js';

export type { Job };

export function serverJobs(deps: Deps, services: Services): Job[] {
  const { config, log } = deps;
  const jobs: Job[] = [];
  if (config.upload_purge_interval > 0) {
    const settings = { uploadAgeSeconds: config.upload_purge_age, leftoverAgeSeconds: config.leftover_age, intervalSeconds: config.upload_purge_interval };
    jobs.push(uploadPurgeJob(deps.storage, settings, log));
  }
  if (services.v1.search) jobs.push(searchRebuildJob(services.v1.search, log));
  const searchEvents = services.v1.searchEvents;
  // One listener per host: the index is one SQLite file that the host's workers share.
  if (searchEvents) jobs.push({ name: 'search-events', perHost: true, start: () => searchEvents.start(), stop: () => searchEvents.stop() });
  if (services.bridge) jobs.push(bridgeResumeJob(services.bridge, log));
  const mirror = services.mirror;
  if (mirror && (config.mirroring.max_bytes ?? 0) > 0) {
    const eviction = new MirrorEviction(deps.storage, mirror, services.v2.manifests, log);
    jobs.push(mirrorEvictionJob(eviction, config.mirroring.evict_interval ?? 300, log));
  }
  if (services.activity) jobs.push(activityFlushJob(services.activity));
  const auth = services.auth;
  // The password files are watched while the server runs; the watch ends with it.
  if (auth) jobs.push({ name: 'auth-files', start() {}, stop: async () => auth.close() });
  return jobs;
}
