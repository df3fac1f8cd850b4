/**
 * Headers each API family always carries. V1 responses get X-Docker-Registry-Version (old
 * Docker refuses a registry without it, and proxies used it to recognise one) and
 * X-Docker-Registry-Config; V2 responses, errors included, get
 * Docker-Distribution-API-Version. A V1 response must never say registry/2.0, or Docker
 * 1.6+ would take it for a V2 registry.
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
        if (familyOf(ctx.state, ctx.path) === 'v2') {
          ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
        } else {
          ctx.set('X-Docker-Registry-Version', V1_COMPAT_VERSION);
          ctx.set('X-Docker-Registry-Config', flavor);
        }
      }
    }
  };
}
