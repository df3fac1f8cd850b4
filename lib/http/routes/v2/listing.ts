/**
 * What a V2 client can list: tags of a repository, the repositories (`_catalog`), and the
 * referrers of a digest. Pages follow distribution (`n`, `last`, a `Link` to the next page).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Deps } from '../../../deps.js';
import { type Page, paginate, parsePageSize } from '../../../services/v2/pagination.js';
import { walkRepositories } from '../../../services/v2/repository-walk.js';
import type { RequestState } from '../../state.js';
import { checkName, requireDigest } from '../../v2-names.js';
import type { V2Services } from './index.js';

export function listingRoutes(router: Router<RequestState>, deps: Deps, { manifests, referrers }: V2Services): void {
  router.get('/v2/_catalog', async (ctx) => {
    const n = parsePageSize(ctx.query.n);
    const names: string[] = [];
    for await (const repo of walkRepositories(deps.storage)) if (repo.parts.has('_manifests')) names.push(repo.name);
    const page = pageOf(ctx, n, names.sort());
    reply(ctx, '/v2/_catalog', page, { repositories: page.items });
  });

  router.get('/v2/*name/tags/list', async (ctx) => {
    const name = checkName(String(ctx.params.name));
    const n = parsePageSize(ctx.query.n);
    const page = pageOf(ctx, n, await manifests.tags(name));
    reply(ctx, `/v2/${name}/tags/list`, page, { name, tags: page.items });
  });

  router.get('/v2/*name/referrers/:digest', async (ctx) => {
    const name = checkName(String(ctx.params.name));
    const subject = requireDigest(ctx.params.digest);
    const artifactType = typeof ctx.query.artifactType === 'string' ? ctx.query.artifactType : undefined;
    const found = await referrers.list(name, subject, artifactType);
    if (artifactType !== undefined) ctx.set('OCI-Filters-Applied', 'artifactType');
    ctx.type = 'application/vnd.oci.image.index.v1+json';
    ctx.body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: found });
  });
}

function pageOf(ctx: Context, n: number | null, sorted: string[]): Page {
  return paginate(sorted, n, typeof ctx.query.last === 'string' ? ctx.query.last : undefined);
}

function reply(ctx: Context, path: string, page: Page, body: object): void {
  if (page.next) ctx.set('Link', `<${path}?${page.next}>; rel="next"`);
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(body);
}
