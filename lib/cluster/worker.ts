/**
 * A worker's side of the supervisor (cluster/supervisor.ts): it tells the primary when it
 * listens, asks to be recycled after about max_requests requests, runs the once-per-host jobs
 * only when elected, and stops when told (retire: a successor is already listening) or when
 * the primary is gone (the IPC channel closes: an orphan must not serve on alone).
 */
import cluster from 'node:cluster';
import { randomInt } from 'node:crypto';
import type { Config } from '../config/load.js';
import type { RunningServer, ServerOptions } from '../server.js';
import { type FromWorker, isToWorker } from './messages.js';

export interface ClusterWorker {
  /** options for startServer: the per-host jobs wait for the primary, requests are counted */
  readonly options: ServerOptions;
  /** Tell the primary this worker listens, and follow its orders; `stop` drains the server and exits. */
  attach(running: RunningServer, stop: (mode: 'stop' | 'retire') => void): void;
}

/** The worker role when this process is a cluster worker; null when it runs alone. */
export function clusterWorker(config: Readonly<Config>): ClusterWorker | null {
  if (!cluster.isWorker) return null;
  const send = (message: FromWorker) => {
    if (process.connected) process.send?.(message);
  };
  // gunicorn's jitter: N + randint(0, jitter), so that workers started together do not all recycle at once.
  const limit = config.max_requests > 0 ? config.max_requests + randomInt(config.max_requests_jitter + 1) : 0;
  let served = 0;
  const onRequest =
    limit > 0
      ? () => {
          if (++served === limit) send({ berth: 'recycle', served });
        }
      : undefined;
  return {
    options: { deferHostJobs: true, ...(onRequest ? { onRequest } : {}) },
    attach(running, stop) {
      process.on('message', (message: unknown) => {
        if (!isToWorker(message)) return;
        if (message.berth === 'host-jobs') running.startHostJobs();
        else if (message.berth === 'retire') {
          // The host jobs stop at once, not after the drain: the primary elects their next
          // worker only on this report, so two never run them together.
          void running.stopHostJobs().then(() => send({ berth: 'host-jobs-stopped' }));
          stop('retire');
        } else if (message.berth === 'stop') stop('stop');
      });
      process.on('disconnect', () => stop('stop'));
      send({ berth: 'ready', urls: [...running.urls] });
    },
  };
}
