/**
 * Decides, once per request, whether a `/v2…` path is answered by the V2 API. When V2 is off,
 * or the client is a Docker engine that must stay on V1 (client-version.ts), every `/v2…` path
 * answers as a V1-only server would: 404 in the V1 envelope, without
 * `Docker-Distribution-API-Version`. Docker 1.6–1.10 fall back to V1 only when V2 is absent or
 * on NAME_UNKNOWN, MANIFEST_UNKNOWN, UNAUTHORIZED or a body that is not a V2 error
 * (moby v1.10 `distribution/registry.go` `continueOnError`); a V2 `NOT_FOUND` would stop them.
 */
import type { Middleware } from 'koa';
import { GENERIC } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { isPreV2Client } from '../client-version.js';
import type { RequestState } from '../state.js';

export function v2Gate(v2Served: boolean): Middleware<RequestState> {
  return async (ctx, next) => {
    if (ctx.path === '/v2' || ctx.path.startsWith('/v2/')) {
      if (!v2Served || isPreV2Client(ctx.get('User-Agent'))) {
        ctx.state.apiFamily = 'v1';
        throw new RegistryError(GENERIC.NOT_FOUND);
      }
      ctx.state.apiFamily = 'v2';
    }
    await next();
  };
}
