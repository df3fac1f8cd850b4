/**
 * The V2 / OCI distribution API router: thin handlers per resource over the V2 services.
 * Requests reach it only when the V2 gate let them through (middleware/v2-gate.ts): Docker
 * clients older than 1.6, and everyone when V2 is off, get a V1-style 404 instead.
 */
import Router from '@koa/router';
import type { Deps } from '../../../deps.js';
import type { V2Services } from '../../../services/index.js';
import { ACCESS } from '../../access.js';
import { v2Params } from '../../params.js';
import type { RequestState } from '../../state.js';
import type { RouteTable } from '../route-table.js';
import { blobRoutes } from './blobs.js';
import { listingRoutes } from './listing.js';
import { manifestRoutes } from './manifests.js';
import { uploadRoutes } from './uploads.js';

export function v2Router(deps: Deps, services: V2Services, table: RouteTable): Router<RequestState> {
  const router = new Router<RequestState>({ sensitive: true });
  v2Params(router);
  const r = table.on(router);
  // The version check clients make first, and the challenge endpoint once V2 has auth.
  r.get('/v2', ACCESS.login, reply);
  r.get('/v2/', ACCESS.login, reply);
  listingRoutes(r, services);
  uploadRoutes(r, deps, services);
  blobRoutes(r, deps, services);
  manifestRoutes(r, deps, services);
  return router;
}

function reply(ctx: import('koa').Context): void {
  ctx.type = 'application/json';
  ctx.body = '{}';
}
