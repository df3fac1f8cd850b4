/**
 * An AbortSignal that fires when the client goes away before its request body is complete,
 * handed down to storage so that a dropped upload stops writing (and leaves nothing visible).
 *
 * A client that stays connected but sends too slowly, or nothing (a dead network path, no FIN,
 * no RST), is the body watch's business (http/body-watch.ts: minimum rate, upload_idle_timeout):
 * it cuts the body, and the upload fails as any broken body does.
 */
import type { IncomingMessage } from 'node:http';

export function abortSignal(req: IncomingMessage): AbortSignal {
  const controller = new AbortController();
  req.once('close', () => {
    if (!req.complete) controller.abort(new Error('aborted'));
  });
  return controller.signal;
}
