import type { Digest } from '../checksums/digest.js';
import type { Logger } from '../logging/logger.js';
import type { RepositoryName } from '../names/v1.js';
import type { ManifestRef } from '../names/v2.js';
import type { Token } from '../services/v1/tokens.js';
import type { WatchedBody } from './body-watch.js';

/** Which envelope errors are rendered in: V1 `{"error"}` or V2 `{"errors": [...]}`. */
export type ApiFamily = 'v1' | 'v2';

/**
 * Route parameters, each parsed and validated once by the router's param handlers
 * (http/params.ts) before any route middleware runs: a handler reads them from here.
 */
export interface RouteParams {
  /** V2 repository name */
  name?: string;
  /** V2 manifest reference (a read's invalid reference is already a 404, a write's a 400) */
  reference?: ManifestRef;
  /** V2 blob digest */
  digest?: Digest;
  /** V2 referrers subject */
  subject?: Digest;
  /** V2 upload session id */
  uuid?: string;
  /** V1 repository (`ubuntu` → library/ubuntu) */
  repository?: RepositoryName;
  /** V1 image id */
  imageId?: string;
  /** V1 tag (checked against the tag rule on PUT only, as docker-registry did) */
  tag?: string;
}

/** What Berth's middleware puts on `ctx.state`. */
export interface RequestState extends RouteParams {
  reqId: string;
  log: Logger;
  /** the request's body under the body watch (null: it has none); read it through http/read-body.ts */
  requestBody?: WatchedBody | null;
  /** set when a router family is mounted; unmatched requests fall back to the path prefix */
  apiFamily?: ApiFamily;
  /** the V1 index token that authorised this request (token mode only) */
  token?: Token;
  /** with Berth's own auth: who made the request (null: nobody said) */
  identity?: { user: string } | null;
  /**
   * With Berth's own auth: may this request do `action` on the repository `name` (a V2 name or
   * a V1 `ns/repo`)? For what a handler decides itself: which repositories `_catalog` lists,
   * whether a mount may read its source. Absent when everyone may do everything.
   */
  may?: (action: 'pull' | 'push' | 'delete', name: string) => boolean;
}

export function familyOf(state: Partial<RequestState>, path: string): ApiFamily {
  return state.apiFamily ?? (path === '/v2' || path.startsWith('/v2/') ? 'v2' : 'v1');
}

/** A parameter its route declares: always set by the time a handler runs. */
export function param<K extends keyof RouteParams>(state: RouteParams, key: K): NonNullable<RouteParams[K]> {
  const value = state[key];
  if (value === undefined || value === null) throw new Error(`route parameter ${key} was not parsed (no router.param for it?)`);
  return value as NonNullable<RouteParams[K]>;
}
