/**
 * What a V2 client can list: tags of a repository, the repositories (`_catalog`), and the
 * referrers of a digest. Pages follow distribution (`n`, `last`, a `Link` to the next page).
 */
import type { Context } from 'koa';
import type { V2Services } from '../../../services/index.js';
import { type Page, paginate, parsePageSize } from '../../../services/v2/pagination.js';
import { ACCESS } from '../../access.js';
import { param } from '../../state.js';
import type { RouteDefiner } from '../route-table.js';

export function listingRoutes(r: RouteDefiner, { manifests, referrers, catalog }: V2Services): void {
  r.get('/v2/_catalog', ACCESS.catalog, async (ctx) => {
    const n = parsePageSize(ctx.query.n);
    // With Berth's own auth, only the repositories the caller may pull.
    const may = ctx.state.may;
    const names = await catalog.repositories();
    const page = pageOf(ctx, n, may ? names.filter((name) => may('pull', name)) : names);
    reply(ctx, '/v2/_catalog', page, { repositories: page.items });
  });

  r.get('/v2/*name/tags/list', ACCESS.pull, async (ctx) => {
    const name = param(ctx.state, 'name');
    const n = parsePageSize(ctx.query.n);
    const page = pageOf(ctx, n, await manifests.tags(name));
    reply(ctx, `/v2/${name}/tags/list`, page, { name, tags: page.items });
  });

  r.get('/v2/*name/referrers/:subject', ACCESS.pull, async (ctx) => {
    const artifactType = typeof ctx.query.artifactType === 'string' ? ctx.query.artifactType : undefined;
    const found = await referrers.list(param(ctx.state, 'name'), param(ctx.state, 'subject'), artifactType);
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
