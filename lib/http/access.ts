/**
 * What each route needs, declared where the route is defined, and the one seam through which
 * it is checked. As distribution's dispatcher builds access records from the matched route
 * (`registry/handlers/app.go` `authorized`) and Verdaccio's routes read
 * `router.put('/:package', can('publish'), …)`, every route states its action and the kind of
 * thing it acts on; an Authorizer decides. Handlers never check access themselves.
 */
import type { Middleware, ParameterizedContext } from 'koa';
import type { RequestState } from './state.js';

/** pull/push/delete on a repository or image; catalog: list what exists; login: any known identity. */
export type Action = 'pull' | 'push' | 'delete' | 'catalog' | 'login';

/** What the action is on: a repository (named by the route), a V1 image (global, no repository), or the registry as a whole. */
export type Resource = 'repository' | 'image' | 'registry';

export type RouteAccess = 'open' | { readonly action: Action; readonly resource: Resource };

export const ACCESS = {
  /** pings, health, the index's user routes: nobody is asked for anything */
  open: 'open',
  pull: { action: 'pull', resource: 'repository' },
  push: { action: 'push', resource: 'repository' },
  delete: { action: 'delete', resource: 'repository' },
  pullImage: { action: 'pull', resource: 'image' },
  pushImage: { action: 'push', resource: 'image' },
  catalog: { action: 'catalog', resource: 'registry' },
  login: { action: 'login', resource: 'registry' },
} as const satisfies Record<string, RouteAccess>;

export interface Authorizer {
  /**
   * Resolve when the request may do what its route needs; throw the family's 401/403 when it
   * may not. Route parameters (the repository) are on `ctx.state` already.
   */
  authorize(ctx: ParameterizedContext<RequestState>, need: Exclude<RouteAccess, 'open'>): Promise<void>;
}

/** Everyone may do everything: standalone V1, and V2 without auth of its own. */
export const allowAll: Authorizer = { authorize: async () => {} };

export function requireAccess(authorizer: Authorizer, need: RouteAccess): Middleware<RequestState> {
  if (need === 'open') return (_ctx, next) => next();
  return async (ctx, next) => {
    await authorizer.authorize(ctx, need);
    await next();
  };
}
