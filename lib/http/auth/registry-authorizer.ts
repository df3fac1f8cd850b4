/**
 * Berth's own access control at the routes' seam (http/access.ts): who the request is, then
 * whether the route's action on its repository is theirs. One identity per request, from the
 * first of: the trusted proxy's user header; `Authorization: Basic` (passport-http, htpasswd);
 * on V1 routes, the `Token …` Berth signed at the index call (Docker 1.x sends its basic
 * credentials only on the index calls over plain HTTP, and that token on the image calls);
 * `Authorization: Bearer` from a token server. No credentials: anonymous (a pull where
 * anonymous_read allows it). A wrong password is a 401 at once, logged, counted, and slowed
 * down for an address that keeps failing.
 *
 * Answers as the API of the route: V2 401 UNAUTHORIZED with a Basic or Bearer challenge
 * (distribution `registry/auth/htpasswd/access.go`, `registry/auth/token/accesscontroller.go`)
 * and 403 DENIED; V1 401 `Requires authorization` and 403 `Access denied`.
 */
import type { ParameterizedContext } from 'koa';
import type { AuthAction, Identity } from '../../auth/access-rules.js';
import type { AuthServices } from '../../auth/auth-services.js';
import type { BearerGrant } from '../../auth/bearer-tokens.js';
import type { V1Grant } from '../../auth/v1-signed-tokens.js';
import { V1, V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { Logger } from '../../logging/logger.js';
import type { Metrics } from '../../metrics/registry.js';
import { type RepositoryName, repositoryKey } from '../../names/v1.js';
import type { RepositoryImages } from '../../services/v1/repository-images.js';
import type { Action, Authorizer, RouteAccess } from '../access.js';
import { familyOf, type RequestState } from '../state.js';
import { basicCredentials } from './basic-credentials.js';

type Ctx = ParameterizedContext<RequestState>;
type Need = Exclude<RouteAccess, 'open'>;

/**
 * Who the request is, and what narrows their rights (a V1 token's repository, a JWT's grants).
 * A V1 token handed to an anonymous reader (anonymous_read) names no user: its identity is null.
 */
type Caller =
  | { kind: 'anonymous' }
  | { kind: 'user'; identity: Identity }
  | { kind: 'v1-token'; identity: Identity | null; grant: V1Grant }
  | { kind: 'bearer'; identity: Identity; grant: BearerGrant };

const V1_ACCESS: Record<V1Grant['access'], readonly AuthAction[]> = {
  // Docker reuses the write token for the GET json lookups of a push (docker/docker-registry#541).
  write: ['push', 'pull'],
  read: ['pull'],
  delete: ['delete'],
};

export function registryAuthorizer(auth: AuthServices, repositoryImages: RepositoryImages, log: Logger, metrics: Metrics): Authorizer {
  async function identify(ctx: Ctx): Promise<Caller> {
    if (auth.proxyUserHeader) {
      const user = ctx.get(auth.proxyUserHeader);
      if (user) return { kind: 'user', identity: auth.identity(user) };
    }
    const header = ctx.get('Authorization');
    if (/^basic\s/i.test(header) && auth.htpasswd) {
      const htpasswd = auth.htpasswd;
      const address = ctx.ip;
      const outcome = await auth.failures.check(address, () => basicCredentials(ctx.req, (user, password) => htpasswd.verify(user, password)));
      if (outcome.kind === 'valid') {
        auth.failures.succeeded(address);
        return { kind: 'user', identity: auth.identity(outcome.user) };
      }
      auth.failures.failed(address);
      metrics.authFailures.inc({ reason: 'password' });
      // Never the password: the user it claimed and where it came from.
      log.warn({ user: outcome.kind === 'invalid' ? outcome.user : '', address }, 'auth: wrong user name or password');
      throw unauthorized(ctx, auth, null);
    }
    if (/^token\s/i.test(header) && familyOf(ctx.state, ctx.path) === 'v1') {
      const grant = auth.v1Tokens.verify(header);
      // A token outlives nothing of its user: removed from the htpasswd file, it stops working.
      if (!grant || (grant.user !== '' && auth.htpasswd && !auth.htpasswd.has(grant.user))) {
        metrics.authFailures.inc({ reason: 'v1-token' });
        throw unauthorized(ctx, auth, null);
      }
      return { kind: 'v1-token', identity: grant.user === '' ? null : auth.identity(grant.user), grant };
    }
    if (/^bearer\s/i.test(header) && auth.bearer) {
      const grant = await auth.bearer.verify(header);
      if (!grant) {
        metrics.authFailures.inc({ reason: 'bearer' });
        throw unauthorized(ctx, auth, null, 'invalid_token');
      }
      return { kind: 'bearer', identity: auth.identity(grant.subject), grant };
    }
    return { kind: 'anonymous' };
  }

  /** May this caller do `action` on the repository `name` (a V2 name or a V1 `ns/repo`)? */
  function may(caller: Caller, action: AuthAction, name: string): boolean {
    const repo = rulesName(name);
    switch (caller.kind) {
      case 'anonymous':
        return auth.rules.may(null, action, repo);
      case 'user':
        return auth.rules.may(caller.identity, action, repo);
      case 'v1-token':
        return caller.grant.repository === repo && V1_ACCESS[caller.grant.access].includes(action) && auth.rules.may(caller.identity, action, repo);
      case 'bearer':
        return auth.bearer?.allows(caller.grant, name, action) ?? false;
    }
  }

  /**
   * A V1 image (its paths name no repository): with a token, an image of the token's repository
   * that the token and the rules allow; otherwise the right somewhere (Docker 1.x over HTTPS
   * sends Basic, not the token, on image calls, and those name no repository; README, Access
   * control, says what that leaves open).
   */
  async function mayImage(ctx: Ctx, caller: Caller, action: AuthAction): Promise<boolean> {
    if (caller.kind === 'v1-token') {
      const id = ctx.state.imageId;
      const repository = tokenRepository(caller.grant.repository);
      return id !== undefined && repository !== null && may(caller, action, caller.grant.repository) && (await repositoryImages.contains(repository, id));
    }
    if (caller.kind === 'bearer') return caller.grant.access.some((a) => a.type === 'repository' && a.actions.some((x) => x === action || x === '*'));
    return auth.rules.mayAnywhere(caller.kind === 'anonymous' ? null : caller.identity, action);
  }

  async function allowed(ctx: Ctx, caller: Caller, need: Need): Promise<boolean> {
    const action = need.action;
    if (action === 'login' || action === 'catalog') {
      // Any known caller; anonymous only where it may pull something (anonymous_read).
      return caller.kind !== 'anonymous' || auth.rules.mayAnywhere(null, 'pull');
    }
    if (need.resource === 'image') return mayImage(ctx, caller, action);
    const name = repositoryOf(ctx);
    return name !== null && may(caller, action, name);
  }

  return {
    async authorize(ctx, need) {
      if (need.resource === 'registry' && need.action === 'login' && auth.openPaths.has(ctx.path)) return;
      const caller = await identify(ctx);
      ctx.state.identity = caller.kind === 'anonymous' || caller.identity === null ? null : { user: caller.identity.user };
      ctx.state.may = (action, name) => may(caller, action, name);
      if (await allowed(ctx, caller, need)) return;
      if (caller.kind === 'anonymous') throw unauthorized(ctx, auth, need);
      metrics.authFailures.inc({ reason: 'denied' });
      log.info({ user: caller.identity?.user ?? '', path: ctx.path, action: need.action }, 'auth: denied');
      throw denied(ctx, auth, need, caller.kind === 'bearer');
    },
  };
}

/** The repository a route names: the V2 name, or the V1 `ns/repo`. */
function repositoryOf(ctx: Ctx): string | null {
  if (ctx.state.name) return ctx.state.name;
  if (ctx.state.repository) return repositoryKey(ctx.state.repository);
  return null;
}

/** A signed token's `ns/repo` as a repository name (the signer wrote it from one). */
function tokenRepository(value: string): RepositoryName | null {
  const slash = value.indexOf('/');
  return slash > 0 ? { namespace: value.slice(0, slash), repository: value.slice(slash + 1) } : null;
}

/** V2's `x` is V1's and the rules' `library/x` (a client pulling `host/x` asks `/v2/x/…`). */
function rulesName(name: string): string {
  return name.includes('/') ? name : `library/${name}`;
}

const SCOPE_ACTIONS: Record<Action, string[]> = {
  pull: ['pull'],
  // distribution asks a pusher for both: a push reads what it mounts and checks.
  push: ['pull', 'push'],
  delete: ['delete'],
  catalog: ['*'],
  login: [],
};

function unauthorized(ctx: Ctx, auth: AuthServices, need: Need | null, error?: 'invalid_token'): RegistryError {
  if (familyOf(ctx.state, ctx.path) === 'v1') {
    return new RegistryError(V1.REQUIRES_AUTHORIZATION, { headers: { 'WWW-Authenticate': `Basic realm="${auth.realm}"` } });
  }
  return new RegistryError(V2.UNAUTHORIZED, { headers: { 'WWW-Authenticate': challenge(ctx, auth, need, error) }, detail: detailOf(ctx, need) });
}

function denied(ctx: Ctx, auth: AuthServices, need: Need, bearer: boolean): RegistryError {
  if (familyOf(ctx.state, ctx.path) === 'v1') return new RegistryError(V1.ACCESS_DENIED);
  // A token server's caller may come back with a token for the scope it lacked.
  const headers: Record<string, string> = bearer ? { 'WWW-Authenticate': challenge(ctx, auth, need, 'insufficient_scope') } : {};
  return new RegistryError(V2.DENIED, { headers, detail: detailOf(ctx, need) });
}

function challenge(ctx: Ctx, auth: AuthServices, need: Need | null, error?: 'invalid_token' | 'insufficient_scope'): string {
  if (!auth.bearer) return `Basic realm="${auth.realm}"`;
  const name = repositoryOf(ctx);
  if (need?.action === 'catalog') return auth.bearer.challenge({ catalog: true }, error);
  if (need && name) return auth.bearer.challenge({ name, actions: SCOPE_ACTIONS[need.action] }, error);
  return auth.bearer.challenge(undefined, error);
}

function detailOf(ctx: Ctx, need: Need | null): Array<{ Type: string; Name: string; Action: string }> | undefined {
  const name = repositoryOf(ctx);
  return need && name ? [{ Type: 'repository', Name: name, Action: need.action }] : undefined;
}
