/**
 * At start, finish the bridge's pending tag writes that a stopped process left (a push whose
 * other side was not written yet when the process went away). Once; readers of such a tag
 * would also finish it on demand, this only makes sure nobody has to wait. At stop, let the
 * bridge's background work of this process finish (what a stop cuts off, the next start resumes).
 */
import type { Logger } from '../logging/logger.js';
import type { BridgeService } from '../services/bridge/index.js';
import type { Job } from './job.js';

export function bridgeResumeJob(bridge: BridgeService, log: Logger): Job {
  const controller = new AbortController();
  let running: Promise<void> | null = null;
  return {
    name: 'bridge-resume',
    perHost: true,
    start() {
      running ??= bridge.resume(controller.signal).then(
        (outcomes) => void (outcomes.length > 0 && log.info({ tags: outcomes.length }, 'bridge: finished tag writes left pending')),
        (err) => void (controller.signal.aborted || log.error({ err }, 'bridge: could not finish pending tag writes')),
      );
    },
    async stop() {
      controller.abort();
      await running;
      await bridge.idle();
    },
  };
}
