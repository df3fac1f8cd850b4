/**
 * One access line per request, written when the response is really over (a streamed layer
 * ends long after the handler returns), and the request metrics. A client that goes away
 * before the end is logged as 499, never as an error. With access_log_format, the line is
 * written in gunicorn's format instead (logging/gunicorn-format.ts), for old log parsers.
 */
import type { Middleware } from 'koa';
import type { AccessLine } from '../../logging/access-file.js';
import type { Metrics } from '../../metrics/registry.js';
import type { RequestState } from '../state.js';

export function accessLog(metrics: Metrics, gunicornLine: AccessLine | null = null): Middleware<RequestState> {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    // Read now: by the close event a failed stream pipeline may have taken the request's socket
    // (Koa's ctx.ip would throw there, and a throw in an event listener ends the process).
    const remote = ctx.ip;
    const time = new Date();
    ctx.res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched';
      const status = ctx.res.writableFinished ? ctx.status : 499;
      metrics.httpRequests.inc({ method: ctx.method, route, status: String(status) });
      metrics.httpDuration.observe({ method: ctx.method, route }, seconds);
      if (gunicornLine) {
        const length = ctx.res.getHeader('content-length');
        gunicornLine({
          remote,
          user: ctx.state.identity?.user ?? basicUser(ctx.get('Authorization')),
          time,
          method: ctx.method,
          url: ctx.originalUrl,
          httpVersion: ctx.req.httpVersion,
          status,
          bytes: length === undefined ? null : Number(length),
          durationMicros: seconds * 1e6,
          pid: process.pid,
          requestHeader: (name) => ctx.get(name) || undefined,
          responseHeader: (name) => {
            const value = ctx.res.getHeader(name);
            return value === undefined ? undefined : String(value);
          },
        });
        return;
      }
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

/** The user name of a Basic Authorization header (gunicorn's `u` when nobody else said who it was). */
function basicUser(header: string): string | null {
  const m = /^Basic\s+(\S+)/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : null;
}
