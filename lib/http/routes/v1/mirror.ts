/**
 * Mirror mode's routes (spec v1 §8.1): each runs the local handler first and asks the source
 * only when that answered 404 (search always merges). Registered before the local routes.
 */
import type Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Deps } from '../../../deps.js';
import { RegistryError } from '../../../errors/registry-error.js';
import type { Mirror, MirrorRequest, Upstream } from '../../../services/v1/mirror.js';
import type { RequestState } from '../../state.js';
import { checkImageId } from '../../v1-names.js';

const REPO = '/v1/repositories/*repository';

export function mirrorRoutes(router: Router<RequestState>, deps: Deps, mirror: Mirror): void {
  const request = (ctx: Context): MirrorRequest => ({ path: ctx.path, search: ctx.search, headers: ctx.req.headers });
  const reply = (ctx: Context, upstream: { headers: Record<string, string>; body: Upstream['body'] | Buffer }) => {
    ctx.status = 200;
    ctx.set(upstream.headers);
    ctx.body = upstream.body;
  };

  for (const file of ['json', 'ancestry'] as const) {
    router.get(`/v1/images/:id/${file}`, (ctx, next) =>
      onLocalMiss(next, async () => {
        const found = await mirror.smallImageFile(request(ctx), checkImageId(ctx.params.id as string), file);
        if (found) reply(ctx, found);
        return found !== null;
      }),
    );
  }
  router.get('/v1/images/:id/layer', (ctx, next) =>
    onLocalMiss(next, async () => {
      const found = await mirror.layer(request(ctx), checkImageId(ctx.params.id as string));
      if (found) reply(ctx, found);
      return found !== null;
    }),
  );
  // Tags are passed through, never kept (the Python registry cached them only in redis).
  for (const path of [`${REPO}/tags`, `${REPO}/tags/:tag`]) {
    router.get(path, (ctx, next) => onLocalMiss(next, () => passThrough(ctx, 'source')));
  }
  if (deps.config.standalone) {
    router.get(`${REPO}/images`, (ctx, next) =>
      onLocalMiss(next, async () => {
        const served = await passThrough(ctx, 'index');
        // Docker must come back to us for the layers, not go to the source's endpoints.
        if (served && ctx.response.get('X-Docker-Endpoints')) ctx.set('X-Docker-Endpoints', deps.config.registry_endpoints ?? ctx.host);
        return served;
      }),
    );
  }
  if (deps.search) {
    router.get('/v1/search', async (ctx, next) => {
      await next();
      const upstream = await mirror.fetch(request(ctx), 'index');
      if (!upstream) return;
      const theirs = await readJson(upstream.body);
      const ours = JSON.parse(String(ctx.body)) as { query: string; results: Array<{ name: string }> };
      if (!theirs || !Array.isArray(theirs.results)) return;
      // As docker-registry merged them: upstream results after ours, a name they share taken from upstream.
      const byName = new Map<string, unknown>(ours.results.map((r) => [r.name, r]));
      for (const r of theirs.results as Array<{ name: string }>) byName.set(r.name, r);
      ctx.body = JSON.stringify({ ...ours, num_results: byName.size, results: [...byName.values()] });
    });
  }

  async function passThrough(ctx: Context, from: 'source' | 'index'): Promise<boolean> {
    const upstream = await mirror.fetch(request(ctx), from);
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

async function readJson(body: AsyncIterable<unknown>): Promise<{ results?: unknown } | null> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return null;
  }
}
