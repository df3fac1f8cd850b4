/**
 * The web page at /ui/ and its JSON API at /ui/api/: repositories of both protocols, a
 * repository's tags, a tag, the migration view. Every view is a URL of its own (`/ui/`,
 * `/ui/r/<name>`, `/ui/r/<name>/t/<tag>`, `/ui/migration`), all answered with the same page.
 * With auth on, the page asks for a login (Basic, the registry's own credentials) and the API
 * shows only what the caller may pull; the page's code is public (no data in it).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Deps } from '../../deps.js';
import { GENERIC, UI } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { repositoryKey } from '../../names/v1.js';
import type { UiService, Visible } from '../../services/ui/index.js';
import type { MigrationReply, RepositoryReply, TagReply } from '../../services/ui/view-types.js';
import { ACCESS } from '../access.js';
import { param, type RequestState } from '../state.js';
import { BUILT, securityHeaders, UiAssets } from '../ui-assets.js';
import { parseRepository } from '../v1-names.js';
import type { RouteTable } from './route-table.js';

export function uiRouter(deps: Deps, ui: UiService, table: RouteTable): Router<RequestState> {
  const router = new Router<RequestState>({ sensitive: true });
  router.use(async (ctx, next) => {
    if (ctx.path === '/ui' || ctx.path.startsWith('/ui/')) securityHeaders(ctx);
    await next();
  });
  router.param('name', (value, ctx, next) => {
    ctx.state.repository = parseRepository(value);
    return next();
  });
  router.param('tag', (value, ctx, next) => {
    ctx.state.tag = value;
    return next();
  });
  const r = table.on(router);
  const assets = new UiAssets();

  // `/ui` is answered too: the router takes a trailing slash as optional.
  for (const view of ['/ui/', '/ui/migration', '/ui/r/*name']) r.get(view, ACCESS.login, (ctx) => assets.page(ctx));
  r.get('/ui/assets/:file', ACCESS.open, (ctx) => {
    const file = String(ctx.params.file);
    if (!BUILT.has(file) || file === 'index.html') throw new RegistryError(GENERIC.NOT_FOUND);
    if (!assets.send(ctx, file, 'day')) throw new RegistryError(UI.NOT_BUILT);
  });

  r.get('/ui/api/repositories', ACCESS.catalog, async (ctx) => {
    const q = typeof ctx.query.q === 'string' ? ctx.query.q : '';
    json(ctx, await ui.list(q, pageOf(ctx), visibleTo(ctx)));
  });
  r.get('/ui/api/repositories/*name/tags', ACCESS.pull, async (ctx) => {
    const name = nameOf(ctx);
    const view = await ui.repository(name, pageOf(ctx));
    json(ctx, { ...view, mayDelete: mayDelete(ctx, deps, name) } satisfies RepositoryReply);
  });
  r.get('/ui/api/repositories/*name/tags/:tag', ACCESS.pull, async (ctx) => {
    const name = nameOf(ctx);
    json(ctx, { name, ...(await ui.tag(name, param(ctx.state, 'tag'))), mayDelete: mayDelete(ctx, deps, name) } satisfies TagReply);
  });
  r.delete('/ui/api/repositories/*name/tags/:tag', ACCESS.delete, async (ctx) => {
    if (!deps.config.storage_delete_enabled) throw new RegistryError(UI.DELETES_DISABLED);
    await ui.deleteTag(nameOf(ctx), param(ctx.state, 'tag'));
    json(ctx, { deleted: true });
  });
  r.get('/ui/api/migration', ACCESS.login, async (ctx) => {
    const visible = visibleTo(ctx);
    const [counts, clients] = await Promise.all([ui.counts(visible), ui.clients(visible, ctx.state.may !== undefined)]);
    json(ctx, { counts, clients, recordsAddresses: deps.config.ui.record_addresses } satisfies MigrationReply);
  });
  return router;
}

function json(ctx: Context, body: unknown): void {
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(body);
}

function nameOf(ctx: Context & { state: RequestState }): string {
  return repositoryKey(param(ctx.state, 'repository'));
}

function visibleTo(ctx: Context & { state: RequestState }): Visible {
  const may = ctx.state.may;
  return may ? (name) => may('pull', name) : () => true;
}

function mayDelete(ctx: Context & { state: RequestState }, deps: Deps, name: string): boolean {
  return deps.config.storage_delete_enabled && (ctx.state.may?.('delete', name) ?? true);
}

function pageOf(ctx: Context): number {
  const raw = ctx.query.page;
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,8}$/.test(raw)) throw new RegistryError(UI.BAD_PAGE);
  return Number(raw);
}
