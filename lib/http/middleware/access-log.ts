/**
 * One access line per request, written when the response is really over (a streamed layer
 * ends long after the handler returns), and the request metrics. A client that goes away
 * before the end is logged as 499, never as an error.
 */
import type { Middleware } from 'koa';
import type { Metrics } from '../../metrics/registry.js';
import type { RequestState } from '../state.js';

export function accessLog(metrics: Metrics): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    // Read now: by the close event a failed stream pipeline may have taken the request's socket
    // (Koa's ctx.ip would throw there, and a throw in an event listener ends the process).
    const remote = ctx.ip;
    ctx.res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const status = ctx.res.writableFinished ? ctx.status : 499;
      metrics.httpRequests.inc({ method: ctx.method, route, status: String(status) });
      metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
      ctx.state.log?.info(
        {
          method: ctx.method,
          path: ctx.path,
          route,
          status,
          bytes: ctx.res.getHeader('content-length') ?? null,
          ms: Math.round(seconds * 1e4) / 10,
          remote,
          ua: ctx.get('User-Agent') || undefined,
        },
        'request',
      );
    });
    await next();
  };
}
