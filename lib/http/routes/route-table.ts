/**
 * Routes are defined through a RouteTable: each definition names its method, path, the access
 * it needs (http/access.ts) and its handlers, and the table keeps the list, so that what every
 * route needs can be read (and tested) in one place.
 */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { type Authorizer, type RouteAccess, requireAccess } from '../access.js';
import type { RequestState } from '../state.js';

export type Method = 'get' | 'put' | 'post' | 'patch' | 'delete';

export interface RouteInfo {
  /** GET routes answer HEAD too */
  method: Method;
  path: string;
  access: RouteAccess;
}

export class RouteTable {
  readonly routes: RouteInfo[] = [];

  constructor(private readonly authorizer: Authorizer) {}

  /** Define routes on `router` through this table. */
  on(router: Router<RequestState>) {
    const define =
      (method: Method) =>
      (path: string, access: RouteAccess, ...handlers: Middleware<RequestState>[]) => {
        this.routes.push({ method, path, access });
        router[method](path, requireAccess(this.authorizer, access), ...(handlers as Parameters<Router<RequestState>['get']>[1][]));
      };
    return { get: define('get'), put: define('put'), post: define('post'), patch: define('patch'), delete: define('delete') };
  }
}

export type RouteDefiner = ReturnType<RouteTable['on']>;
