/**
 * Mirror mode's routes (spec v1 §8.1): each runs the local handler first and asks the source
 * only when that answered 404 because the object is absent (search always merges).
 * Registered before the local routes. What is asked of the source is built from the validated
 * route parameters, never from the raw request path.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Deps } from '../../../deps.js';
import { RegistryError } from '../../../errors/registry-error.js';
import type { Mirror, MirrorRequest } from '../../../services/v1/mirror.js';
import { v1 } from '../../../storage/paths.js';
import type { RequestState } from '../../state.js';
import { endpointOf } from '../../v1-index-headers.js';
import { checkImageId, parseRepository } from '../../v1-names.js';

const REPO = '/v1/repositories/*repository';

export function mirrorRoutes(router: Router<RequestState>, deps: Deps, mirror: Mirror): void {
  const request = (ctx: Context, path: string, search = ''): MirrorRequest => ({ path, search, headers: ctx.req.headers });
  const reply = (ctx: Context, upstream: { headers: Record<string, string>; body: unknown }) => {
    ctx.status = 200;
    ctx.set(upstream.headers);
    ctx.body = upstream.body;
  };
  const repositoryPath = (ctx: Context) => {
    const { namespace, repository } = parseRepository(String(ctx.params.repository));
    return `/v1/repositories/${encodeURIComponent(namespace)}/${encodeURIComponent(repository)}`;
  };

  for (const file of ['json', 'ancestry'] as const) {
    router.get(`/v1/images/:id/${file}`, (ctx, next) =>
      onLocalMiss(next, async () => {
        const id = checkImageId(ctx.params.id as string);
        const found = await mirror.smallImageFile(request(ctx, `/v1/images/${id}/${file}`), id, file);
        if (found) reply(ctx, found);
        return found !== null;
      }),
    );
  }
  router.get('/v1/images/:id/layer', (ctx, next) =>
    onLocalMiss(next, async () => {
      const id = checkImageId(ctx.params.id as string);
      const found = await mirror.layer(request(ctx, `/v1/images/${id}/layer`), id);
      if (found) reply(ctx, found);
      return found !== null;
    }),
  );
  // Tags are passed through, never stored (the Python registry kept them only in the redis `cache`, as Berth does).
  const tags = async (ctx: Context, path: string, storagePath: () => string) => {
    let tagPath: string;
    try {
      tagPath = storagePath();
    } catch {
      return false; // a name no storage path can hold: nothing to ask for
    }
    const found = await mirror.tags(request(ctx, path, ctx.search), tagPath);
    if (found) reply(ctx, found);
    return found !== null;
  };
  router.get(`${REPO}/tags`, (ctx, next) =>
    onLocalMiss(next, () => {
      const { namespace, repository } = parseRepository(String(ctx.params.repository));
      return tags(ctx, `${repositoryPath(ctx)}/tags`, () => v1.repository(namespace, repository));
    }),
  );
  router.get(`${REPO}/tags/:tag`, (ctx, next) =>
    onLocalMiss(next, () => {
      const { namespace, repository } = parseRepository(String(ctx.params.repository));
      const tag = String(ctx.params.tag);
      return tags(ctx, `${repositoryPath(ctx)}/tags/${encodeURIComponent(tag)}`, () => v1.tag(namespace, repository, tag));
    }),
  );
  if (deps.config.standalone) {
    router.get(`${REPO}/images`, (ctx, next) =>
      onLocalMiss(next, async () => {
        const served = await passThrough(ctx, `${repositoryPath(ctx)}/images`, 'index');
        // Docker must come back to us for the layers, not go to the source's endpoints.
        if (served && ctx.response.get('X-Docker-Endpoints')) ctx.set('X-Docker-Endpoints', deps.config.registry_endpoints ?? endpointOf(ctx));
        return served;
      }),
    );
  }
  if (deps.search) {
    router.get('/v1/search', async (ctx, next) => {
      await next();
      const q = String(ctx.query.q ?? '');
      const upstream = await mirror.fetchSmall(request(ctx, '/v1/search', `?q=${encodeURIComponent(q)}`), 'index');
      const theirs = upstream ? parseJson(upstream.body) : null;
      if (!theirs || !Array.isArray(theirs.results)) return;
      const ours = JSON.parse(String(ctx.body)) as { query: string; results: Array<{ name: string }> };
      // As docker-registry merged them: upstream results after ours, a name they share taken from upstream.
      const byName = new Map<string, unknown>(ours.results.map((r) => [r.name, r]));
      for (const r of theirs.results) {
        if (r && typeof r === 'object' && typeof (r as { name?: unknown }).name === 'string') byName.set((r as { name: string }).name, r);
      }
      ctx.body = JSON.stringify({ ...ours, num_results: byName.size, results: [...byName.values()] });
    });
  }

  async function passThrough(ctx: Context, path: string, from: 'source' | 'index'): Promise<boolean> {
    const upstream = await mirror.fetchSmall(request(ctx, path, ctx.search), from);
    if (!upstream) return false;
    reply(ctx, upstream);
    return true;
  }
}

/** Run the local handler; if it answers 404, try `fromSource`; if that finds nothing either, the 404 stands. */
async function onLocalMiss(next: Next, fromSource: () => Promise<boolean>): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (!(err instanceof RegistryError && err.status === 404)) throw err;
    if (!(await fromSource())) throw err;
  }
}

function parseJson(body: Buffer): { results?: unknown[] } | null {
  try {
    const doc = JSON.parse(body.toString('utf8'));
    return doc && typeof doc === 'object' ? doc : null;
  } catch {
    return null;
  }
}
