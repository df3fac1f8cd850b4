/**
 * Headers each API family always carries. V1 responses get X-Docker-Registry-Version (old
 * Docker refuses a registry without it, and proxies used it to recognise one) and
 * X-Docker-Registry-Config. V2 responses get Docker-Distribution-API-Version, which Docker
 * reads on /v2/ to decide between V2 and V1; a `/v2…` request only belongs to the V2 family
 * when v2-gate.ts let it through (so Docker before 1.6, and everyone when V2 is off, never
 * sees the header).
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
        const family = familyOf(ctx.state, ctx.path);
        if (family === 'v2') {
          ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
        } else {
          ctx.set('X-Docker-Registry-Version', V1_COMPAT_VERSION);
          ctx.set('X-Docker-Registry-Config', flavor);
        }
      }
    }
  };
}
