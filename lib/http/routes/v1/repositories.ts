/**
 * /v1/repositories/<repository>/…: tags, repository metadata and deletes, and in standalone
 * mode the index emulation Docker talks to before a push or pull (docker/docker-registry
 * `docker_registry/tags.py`, `index.py`). Routes are registered most specific first, as
 * werkzeug ordered them.
 */
import type { Context } from 'koa';
import type { Deps } from '../../../deps.js';
import { V1 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import type { V1Services } from '../../../services/index.js';
import type { IndexAccess } from '../../../services/v1/index-tokens.js';
import { parseJsonBody } from '../../../services/v1/json-body.js';
import { ACCESS } from '../../access.js';
import { readSmallBody } from '../../read-body.js';
import { param, type RequestState } from '../../state.js';
import { indexHeaders } from '../../v1-index-headers.js';
import { v1Json } from '../../v1-response.js';
import type { RouteDefiner } from '../route-table.js';
import type { V1Fallbacks } from './mirror.js';

const REPO = '/v1/repositories/*repository';

export function repositoryRoutes(r: RouteDefiner, deps: Deps, { tags, index, indexTokens }: V1Services, fallbacks: V1Fallbacks, ownIndex: boolean): void {
  const repo = (ctx: Context & { state: RequestState }) => param(ctx.state, 'repository');

  r.get(`${REPO}/tags/:tag/json`, ACCESS.pull, async (ctx) => v1Json(ctx, await tags.tagJson(repo(ctx), param(ctx.state, 'tag'))));
  r.get(
    `${REPO}/tags/:tag`,
    ACCESS.pull,
    fallbacks.tag(async (ctx) => v1Json(ctx, await tags.get(repo(ctx), param(ctx.state, 'tag')))),
  );
  r.put(`${REPO}/tags/:tag`, ACCESS.push, async (ctx) => {
    await tags.put(repo(ctx), param(ctx.state, 'tag'), await readSmallBody(ctx), ctx.get('User-Agent'));
    v1Json(ctx, true);
  });
  r.delete(`${REPO}/tags/:tag`, ACCESS.delete, async (ctx) => {
    await tags.delete(repo(ctx), param(ctx.state, 'tag'));
    v1Json(ctx, true);
  });
  r.get(
    `${REPO}/tags`,
    ACCESS.pull,
    fallbacks.tags(async (ctx) => v1Json(ctx, await tags.list(repo(ctx)))),
  );
  r.delete(`${REPO}/tags`, ACCESS.delete, async (ctx) => {
    await tags.deleteRepository(repo(ctx));
    v1Json(ctx, true);
  });
  r.get(`${REPO}/json`, ACCESS.pull, async (ctx) => v1Json(ctx, await tags.repositoryJson(repo(ctx))));
  r.get(`${REPO}/properties`, ACCESS.pull, async (ctx) => v1Json(ctx, await tags.properties(repo(ctx))));
  r.put(`${REPO}/properties`, ACCESS.push, async (ctx) => {
    await tags.setProperties(repo(ctx), await readSmallBody(ctx, 64 * 1024));
    v1Json(ctx, true);
  });

  if (ownIndex) {
    /** X-Docker-Token and X-Docker-Endpoints, without which Docker refuses to push or pull; with auth, the token names the user. */
    const headers = (ctx: Context & { state: RequestState }, access: IndexAccess) =>
      indexHeaders(ctx, deps.config.registry_endpoints, indexTokens.mint(repo(ctx), access, ctx.state.identity?.user));
    r.put(`${REPO}/images`, ACCESS.push, async (ctx) => {
      await index.put(repo(ctx), await readSmallBody(ctx));
      v1Json(ctx, null, 204, headers(ctx, 'write'));
    });
    r.get(
      `${REPO}/images`,
      ACCESS.pull,
      fallbacks.repositoryImages(async (ctx) => {
        const body = await index.get(repo(ctx));
        v1Json(ctx, null, 200, headers(ctx, 'read'));
        ctx.body = body; // raw, as stored
      }),
    );
    r.delete(`${REPO}/images`, ACCESS.delete, async (ctx) => v1Json(ctx, null, 204, headers(ctx, 'delete')));
    r.put(`${REPO}/auth`, ACCESS.push, async (ctx) => v1Json(ctx, 'OK'));
    r.put(REPO, ACCESS.push, async (ctx) => {
      await index.put(repo(ctx), await readSmallBody(ctx));
      v1Json(ctx, true, 200, headers(ctx, 'write'));
    });
  }
  r.delete(REPO, ACCESS.delete, async (ctx) => {
    await tags.deleteRepository(repo(ctx));
    v1Json(ctx, true);
  });
}

/**
 * The index's user routes (moby v1.3.0 `registry/auth.go` Login). Standalone, without auth:
 * `docker login` creates an account, which always succeeds, as docker-registry answered. With
 * Berth's own auth it checks the password instead: the POST answers 401, so Docker asks
 * `GET /v1/users/` with its basic credentials, which answers 200 for the right password and
 * 401 for a wrong one, and `docker login` says which.
 */
export function userRoutes(r: RouteDefiner, ownAuth: boolean): void {
  for (const path of ['/v1/users', '/v1/users/']) {
    r.get(path, ownAuth ? ACCESS.login : ACCESS.open, (ctx) => v1Json(ctx, 'OK'));
    r.post(path, ACCESS.open, async (ctx) => {
      parseJsonBody(await readSmallBody(ctx, 64 * 1024), V1.USER_JSON_INVALID);
      if (ownAuth) throw new RegistryError(V1.LOGIN_REQUIRED);
      v1Json(ctx, 'User Created', 201);
    });
  }
  r.put('/v1/users/:username/', ACCESS.open, (ctx) => {
    // Account changes are the htpasswd file's business.
    if (ownAuth) throw new RegistryError(V1.LOGIN_REQUIRED);
    v1Json(ctx, null, 204);
  });
}
