/**
 * /v1/repositories/<repository>/…: tags, repository metadata and deletes, and in standalone
 * mode the index emulation Docker talks to before a push or pull (spec v1 §1.5.11–1.5.12).
 * Routes are registered most specific first, as werkzeug ordered them.
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Deps } from '../../../deps.js';
import { V1 } from '../../../errors/catalog.js';
import type { IndexImagesService } from '../../../services/v1/index-images.js';
import { parseJsonBody } from '../../../services/v1/json-body.js';
import type { TagService } from '../../../services/v1/tags.js';
import { readSmallBody } from '../../read-body.js';
import type { RequestState } from '../../state.js';
import { indexHeaders } from '../../v1-index-headers.js';
import { checkTag, parseRepository } from '../../v1-names.js';
import { v1Json } from '../../v1-response.js';

const REPO = '/v1/repositories/*repository';

export function repositoryRoutes(router: Router<RequestState>, deps: Deps, tags: TagService, index: IndexImagesService): void {
  const name = (ctx: Context) => parseRepository(String(ctx.params.repository));

  router.get(`${REPO}/tags/:tag/json`, async (ctx) => v1Json(ctx, await tags.tagJson(name(ctx), ctx.params.tag as string)));
  router.get(`${REPO}/tags/:tag`, async (ctx) => v1Json(ctx, await tags.get(name(ctx), ctx.params.tag as string)));
  router.put(`${REPO}/tags/:tag`, async (ctx) => {
    const repo = name(ctx);
    const tag = checkTag(ctx.params.tag as string);
    await tags.put(repo, tag, await readSmallBody(ctx), ctx.get('User-Agent'));
    v1Json(ctx, true);
  });
  router.delete(`${REPO}/tags/:tag`, async (ctx) => {
    await tags.delete(name(ctx), ctx.params.tag as string);
    v1Json(ctx, true);
  });
  router.get(`${REPO}/tags`, async (ctx) => v1Json(ctx, await tags.list(name(ctx))));
  router.delete(`${REPO}/tags`, async (ctx) => {
    await tags.deleteRepository(name(ctx));
    v1Json(ctx, true);
  });
  router.get(`${REPO}/json`, async (ctx) => v1Json(ctx, await tags.repositoryJson(name(ctx))));
  router.get(`${REPO}/properties`, async (ctx) => v1Json(ctx, await tags.properties(name(ctx))));
  router.put(`${REPO}/properties`, async (ctx) => {
    await tags.setProperties(name(ctx), await readSmallBody(ctx, 64 * 1024));
    v1Json(ctx, true);
  });

  if (deps.config.standalone) {
    router.put(`${REPO}/images`, async (ctx) => {
      const repo = name(ctx);
      await index.put(repo, await readSmallBody(ctx));
      v1Json(ctx, null, 204, indexHeaders(ctx, deps.config.registry_endpoints, repo, 'write'));
    });
    router.get(`${REPO}/images`, async (ctx) => {
      const repo = name(ctx);
      const body = await index.get(repo);
      v1Json(ctx, null, 200, indexHeaders(ctx, deps.config.registry_endpoints, repo, 'read'));
      ctx.body = body; // raw, as stored
    });
    router.delete(`${REPO}/images`, async (ctx) => v1Json(ctx, null, 204, indexHeaders(ctx, deps.config.registry_endpoints, name(ctx), 'delete')));
    router.put(`${REPO}/auth`, async (ctx) => v1Json(ctx, 'OK'));
    router.put(REPO, async (ctx) => {
      const repo = name(ctx);
      await index.put(repo, await readSmallBody(ctx));
      v1Json(ctx, true, 200, indexHeaders(ctx, deps.config.registry_endpoints, repo, 'write'));
    });
  }
  router.delete(REPO, async (ctx) => {
    await tags.deleteRepository(name(ctx));
    v1Json(ctx, true);
  });
}

export function userRoutes(router: Router<RequestState>): void {
  for (const path of ['/v1/users', '/v1/users/']) {
    router.get(path, (ctx) => v1Json(ctx, 'OK'));
    router.post(path, async (ctx) => {
      parseJsonBody(await readSmallBody(ctx, 64 * 1024), V1.USER_JSON_INVALID);
      v1Json(ctx, 'User Created', 201);
    });
  }
  router.put('/v1/users/:username/', (ctx) => v1Json(ctx, null, 204));
}
