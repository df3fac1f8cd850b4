/**
 * The V1 registry API router: image and repository routes, the search, and in standalone
 * mode the index's user routes. Mirror mode wraps the local handlers of the routes it serves.
 */
import Router from '@koa/router';
import type { Deps } from '../../../deps.js';
import type { V1Services } from '../../../services/index.js';
import { ACCESS } from '../../access.js';
import { v1Params } from '../../params.js';
import type { RequestState } from '../../state.js';
import { v1Json } from '../../v1-response.js';
import type { RouteTable } from '../route-table.js';
import { imageRoutes } from './images.js';
import { mirrorFallbacks, mirrorRequest, NO_FALLBACKS } from './mirror.js';
import { pullThroughFallbacks } from './pull-through.js';
import { repositoryRoutes, userRoutes } from './repositories.js';

/** `ownIndex`: Berth is the index (standalone mode, or its own auth), so the index's user and repository routes are mounted. */
export function v1Router(deps: Deps, services: V1Services, table: RouteTable, ownAuth = false): Router<RequestState> {
  const ownIndex = deps.config.standalone || ownAuth;
  const router = new Router<RequestState>({ sensitive: true });
  router.use(async (ctx, next) => {
    ctx.state.apiFamily = 'v1';
    await next();
  });
  v1Params(router);
  const r = table.on(router);
  if (ownIndex) userRoutes(r, ownAuth);
  const { search, mirror } = services;
  if (search) {
    r.get('/v1/search', ACCESS.catalog, async (ctx) => {
      const q = String(ctx.query.q ?? '');
      const ours = search.search(q);
      const all = mirror ? await mirror.mergeSearch(ours, mirrorRequest(ctx, '/v1/search', `?q=${encodeURIComponent(q)}`)) : ours;
      // With Berth's own auth, only what the caller may pull.
      const may = ctx.state.may;
      const results = may ? all.results.filter((r) => may('pull', r.name)) : all.results;
      v1Json(ctx, may ? { ...all, num_results: results.length, results } : all);
    });
  }
  const v1Source = mirror ? mirrorFallbacks(deps, mirror) : NO_FALLBACKS;
  const fallbacks = services.pullThrough ? pullThroughFallbacks(services.pullThrough, v1Source) : v1Source;
  imageRoutes(r, deps, services, fallbacks);
  repositoryRoutes(r, deps, services, fallbacks, ownIndex);
  return router;
}
