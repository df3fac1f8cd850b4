/**
 * An AbortSignal that fires when the client goes away before its request body is complete,
 * handed down to storage so that a dropped upload stops writing (and leaves nothing visible).
 *
 * With `idleSeconds`, a body that stops arriving for that long counts as gone too: a client
 * behind a dead network path (no FIN, no RST) would otherwise hold its upload open, and with
 * it the per-image or per-session lock, forever (the server has no request timeout, so that
 * long uploads are never cut while bytes flow).
 *
 * Idleness is read from the socket's byte count, polled: a 'data' listener on the socket would
 * take it out of the HTTP parser's hands, which breaks a body whose first bytes are already
 * buffered and paused when the handler starts. Time the socket spends paused because Berth is
 * not reading (storage is slow) is never the client's idleness.
 */
import type { IncomingMessage } from 'node:http';

export function abortSignal(req: IncomingMessage, idleSeconds = 0): AbortSignal {
  const controller = new AbortController();
  let poller: NodeJS.Timeout | undefined;
  const stopWatching = () => clearInterval(poller);
  if (idleSeconds > 0 && !req.complete) {
    const socket = req.socket;
    let seen = socket.bytesRead;
    let lastProgress = Date.now();
    poller = setInterval(
      () => {
        const now = Date.now();
        if (socket.bytesRead !== seen || socket.isPaused() || req.readableLength > 0) {
          seen = socket.bytesRead;
          lastProgress = now;
        } else if (now - lastProgress >= idleSeconds * 1000) {
          stopWatching();
          socket.destroy(new Error(`no request body bytes for ${idleSeconds} s`));
        }
      },
      Math.min(1000, (idleSeconds * 1000) / 4),
    );
    poller.unref();
    req.once('end', stopWatching);
  }
  req.once('close', () => {
    stopWatching();
    if (!req.complete) controller.abort(new Error('aborted'));
  });
  return controller.signal;
}
