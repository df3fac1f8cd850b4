/**
 * Headers each API family always carries. V1 responses get X-Docker-Registry-Version (old
 * Docker refuses a registry without it, and proxies used it to recognise one) and
 * X-Docker-Registry-Config. V2 responses get Docker-Distribution-API-Version, which Docker
 * reads on /v2/ to decide between V2 and V1; Docker before 1.6 never sees it (it must stay on V1),
 * nor does anyone when V2 is off.
 */
import type { Middleware } from 'koa';
import { V1_COMPAT_VERSION } from '../../version.js';
import { isPreV2Docker } from '../client-version.js';
import { familyOf, type RequestState } from '../state.js';

export function familyHeaders(flavor: string, v2Served: boolean): Middleware<RequestState> {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      if (!ctx.headerSent) {
        const family = familyOf(ctx.state, ctx.path);
        if (family === 'v2') {
          if (v2Served && !isPreV2Docker(ctx.get('User-Agent'))) ctx.set('Docker-Distribution-API-Version', 'registry/2.0');
        } else {
          ctx.set('X-Docker-Registry-Version', V1_COMPAT_VERSION);
          ctx.set('X-Docker-Registry-Config', flavor);
        }
      }
    }
  };
}
