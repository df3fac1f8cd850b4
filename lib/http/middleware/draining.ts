/**
 * While the server drains after SIGTERM, requests already running finish; new ones get 503
 * with `Connection: close` so that clients and proxies go elsewhere. A retiring worker (recycled
 * after max_requests, or replaced on SIGHUP) has a successor on the same socket: a request that
 * still reaches it on an open connection is served, and the connection closed after it.
 */
import type { Middleware } from 'koa';
import { GENERIC } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { Lifecycle } from '../../lifecycle.js';

export function draining(lifecycle: Lifecycle): Middleware {
  return async (ctx, next) => {
    if (lifecycle.draining) {
      ctx.set('Connection', 'close');
      throw new RegistryError(GENERIC.UNAVAILABLE, { message: 'Server is shutting down', headers: { 'Retry-After': '5', Connection: 'close' } });
    }
    if (lifecycle.retiring) ctx.set('Connection', 'close');
    await next();
    // Drain began while this request ran: its connection should not be kept for another.
    if ((lifecycle.draining || lifecycle.retiring) && !ctx.headerSent) ctx.set('Connection', 'close');
  };
}
