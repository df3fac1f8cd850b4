/**
 * Every request gets an id, taken from an incoming X-Request-Id (a proxy's) when it is a sane
 * token, and returned in X-Request-Id. The id is on every log line of the request and in
 * exception mails.
 */
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../../logging/logger.js';
import type { RequestState } from '../state.js';

const SANE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function requestId(log: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const reqId = SANE_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.reqId = reqId;
    ctx.state.log = log.child({ reqId });
    ctx.set('X-Request-Id', reqId);
    await next();
  };
}
