/** The client activity record of this process, written every few seconds and once more at stop. */
import type { ActivityRecord } from '../services/activity/activity-record.js';
import type { Job } from './job.js';

export const ACTIVITY_FLUSH_MS = 5000;

export function activityFlushJob(record: ActivityRecord): Job {
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'activity-flush',
    start() {
      timer ??= setInterval(() => void record.flush().catch(() => {}), ACTIVITY_FLUSH_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await record.flush().catch(() => {});
    },
  };
}
