/**
 * What the supervisor (primary) and its workers tell each other over node:cluster's IPC
 * channel. Every message carries `berth` so that nothing else on the channel is mistaken for one.
 */

/** primary → worker */
export type ToWorker =
  /** run the once-per-host jobs (this worker was elected for them) */
  | { berth: 'host-jobs' }
  /** a successor is listening: stop accepting, finish what is in flight, exit */
  | { berth: 'retire' }
  /** the launcher stops: drain (503 to new requests) and exit */
  | { berth: 'stop' };

/** worker → primary */
export type FromWorker =
  /** listening on every address */
  | { berth: 'ready'; urls: string[] }
  /** max_requests reached: please start a successor, then retire me */
  | { berth: 'recycle'; served: number }
  /** told to retire: its once-per-host jobs have stopped (work in hand done), so another may run them */
  | { berth: 'host-jobs-stopped' };

export function isFromWorker(message: unknown): message is FromWorker {
  return typeof message === 'object' && message !== null && typeof (message as { berth?: unknown }).berth === 'string';
}

export function isToWorker(message: unknown): message is ToWorker {
  return isFromWorker(message);
}
