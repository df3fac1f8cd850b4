/**
 * The per-request side of Berth's limits (README "Limits"):
 *
 * - `watchBodies`: every request body is put under the body watch (http/body-watch.ts);
 *   handlers read it through `ctx.state.requestBody`.
 * - `connectionLimits`: a request on a connection accepted beyond max_connections (or beyond
 *   max_connections_per_client for its address) is answered 503 (429) with Retry-After and
 *   `Connection: close`, in its API's envelope; http/connection-limits.ts marks those
 *   connections as it accepts them. It runs after the V2 gate, so the envelope is the one the
 *   client's family expects.
 */
import type { Middleware } from 'koa';
import { GENERIC } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { Metrics } from '../../metrics/registry.js';
import type { BodyWatch } from '../body-watch.js';
import { overLimit } from '../connection-limits.js';
import type { RequestState } from '../state.js';

export function watchBodies(watch: BodyWatch, metrics: Metrics): Middleware<RequestState> {
  return async (ctx, next) => {
    ctx.state.requestBody = watch.watch(ctx.req, (cut) => {
      metrics.limits.inc({ limit: `body_${cut.reason}` });
      ctx.state.log?.info({ reason: cut.reason, bytesRead: ctx.req.socket.bytesRead }, `request body too slow (${cut.text}); cut`);
    });
    await next();
  };
}

/** Seconds a client is asked to wait before it comes back on a new connection. */
export const CONNECTION_RETRY_AFTER = '2';

export function connectionLimits(): Middleware<RequestState> {
  return async (ctx, next) => {
    const over = overLimit(ctx.req.socket);
    if (over) {
      const entry = over === 'server' ? GENERIC.SERVER_BUSY : GENERIC.CLIENT_CONNECTIONS_EXCEEDED;
      throw new RegistryError(entry, { headers: { 'Retry-After': CONNECTION_RETRY_AFTER, Connection: 'close' } });
    }
    await next();
  };
}
