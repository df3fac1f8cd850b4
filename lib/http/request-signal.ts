/**
 * An AbortSignal that fires when the client goes away before its request body is complete,
 * handed down to storage so that a dropped upload stops writing (and leaves nothing visible).
 *
 * With `idleSeconds`, a body that stops arriving for that long counts as gone too: a client
 * behind a dead network path (no FIN, no RST) would otherwise hold its upload open, and with
 * it the per-image or per-session lock, forever (the server has no request timeout, so that
 * long uploads are never cut while bytes flow).
 */
import type { IncomingMessage } from 'node:http';

export function abortSignal(req: IncomingMessage, idleSeconds = 0): AbortSignal {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const stopWatching = () => {
    clearTimeout(timer);
    req.socket.off('data', arm);
  };
  function arm() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stopWatching();
      req.socket.destroy(new Error(`no request body bytes for ${idleSeconds} s`));
    }, idleSeconds * 1000);
    timer.unref();
  }
  if (idleSeconds > 0 && !req.complete) {
    // The socket, not the request: a 'data' listener on the request would start consuming it.
    req.socket.on('data', arm);
    arm();
    req.once('end', stopWatching);
  }
  req.once('close', () => {
    stopWatching();
    if (!req.complete) controller.abort(new Error('aborted'));
  });
  return controller.signal;
}
