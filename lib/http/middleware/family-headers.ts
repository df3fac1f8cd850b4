/**
 * Headers each API family always carries. V1 responses get X-Docker-Registry-Version (old
 * Docker refuses a registry without it, and proxies used it to recognise one) and
 * X-Docker-Registry-Config. Docker-Distribution-API-Version is sent only by the V2 routes
 * (which set ctx.state.apiFamily): a 404 for /v2/ that said registry/2.0 would make Docker
 * 1.6+ take a V1-only server for a V2 registry.
 */
import type { Middleware } from 'koa';
import { V1_COMPAT_VERSION } from '../../version.js';
import { familyOf, type RequestState } from '../state.js';

export function familyHeaders(flavor: string): Middleware<RequestState> {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (!ctx.headerSent) {
        if (ctx.state.apiFamily === 'v2') {
          ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
        } else if (familyOf(ctx.state, ctx.path) === 'v1') {
          ctx.set('X-Docker-Registry-Version', V1_COMPAT_VERSION);
          ctx.set('X-Docker-Registry-Config', flavor);
        }
      }
    }
  };
}
