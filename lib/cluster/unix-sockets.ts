/**
 * A unix socket file left by a process that died (SIGKILL, a crash) makes the next listen fail
 * with EADDRINUSE. As gunicorn does, a socket file nobody answers on is removed before listening;
 * one that answers belongs to a running server and is left alone (the listen then fails, as it should).
 * Done once, before any worker listens: a worker doing it could remove its sibling's live socket.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Bind } from '../config/process-settings.js';
import type { Logger } from '../logging/logger.js';

export async function clearStaleSockets(binds: readonly Bind[], log: Logger): Promise<void> {
  for (const bind of binds) {
    if (!('path' in bind)) continue;
    const stat = fs.statSync(bind.path, { throwIfNoEntry: false });
    if (!stat?.isSocket() || (await answers(bind.path))) continue;
    fs.rmSync(bind.path, { force: true });
    log.info({ path: bind.path }, 'removed a stale unix socket left by a previous run');
  }
}

/** Whether something accepts connections on the socket (a connect on a unix socket completes or fails at once). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(2_000, () => done(false));
  });
}
