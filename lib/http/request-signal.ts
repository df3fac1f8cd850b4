/**
 * An AbortSignal that fires when the client goes away before its request body is complete,
 * handed down to storage so that a dropped upload stops writing (and leaves nothing visible).
 */
import type { IncomingMessage } from 'node:http';

export function abortSignal(req: IncomingMessage): AbortSignal {
  const controller = new AbortController();
  req.once('close', () => {
    if (!req.complete) controller.abort(new Error('aborted'));
  });
  return controller.signal;
}
