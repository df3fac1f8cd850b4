/**
 * Mirror mode's fallbacks (docker-registry's `mirroring.source_lookup`): a local route that
 * answers 404 because the object is absent asks the source instead. Each wraps the local
 * handler of its route, so the route, its parameters and its access are defined once. What is
 * asked of the source is built from the validated route parameters, never from the raw path.
 */
import type { Context, Middleware } from 'koa';
import type { Deps } from '../../../deps.js';
import { RegistryError } from '../../../errors/registry-error.js';
import type { RepositoryName } from '../../../names/v1.js';
import type { Mirror, MirrorRequest } from '../../../services/v1/mirror.js';
import { param, type RequestState } from '../../state.js';
import { endpointOf } from '../../v1-index-headers.js';

type Handler = Middleware<RequestState>;

export interface V1Fallbacks {
  imageFile(file: 'json' | 'ancestry' | 'layer', local: Handler): Handler;
  tags(local: Handler): Handler;
  tag(local: Handler): Handler;
  repositoryImages(local: Handler): Handler;
}

/** Without mirror mode, every local answer stands. */
export const NO_FALLBACKS: V1Fallbacks = {
  imageFile: (_file, local) => local,
  tags: (local) => local,
  tag: (local) => local,
  repositoryImages: (local) => local,
};

export function mirrorRequest(ctx: Context, path: string, search = ''): MirrorRequest {
  return { path, search, headers: ctx.req.headers };
}

export function mirrorFallbacks(deps: Deps, mirror: Mirror): V1Fallbacks {
  const reply = (ctx: Context, upstream: { headers: Record<string, string>; body: unknown }) => {
    ctx.status = 200;
    ctx.set(upstream.headers);
    ctx.body = upstream.body;
  };
  const repositoryPath = ({ namespace, repository }: RepositoryName) => `/v1/repositories/${encodeURIComponent(namespace)}/${encodeURIComponent(repository)}`;
  const fallback =
    (fromSource: (ctx: Context & { state: RequestState }) => Promise<boolean>) =>
    (local: Handler): Handler =>
    (ctx, next) =>
      onLocalMiss(
        () => local(ctx, next),
        () => fromSource(ctx),
      );

  return {
    imageFile: (file, local) =>
      fallback(async (ctx) => {
        const id = param(ctx.state, 'imageId');
        const req = mirrorRequest(ctx, `/v1/images/${id}/${file}`);
        const found = file === 'layer' ? await mirror.layer(req, id) : await mirror.smallImageFile(req, id, file);
        if (found) reply(ctx, found);
        return found !== null;
      })(local),
    // Tags are passed through, never stored (the Python registry kept them only in the redis `cache`, as Berth does).
    tags: fallback(async (ctx) => {
      const name = param(ctx.state, 'repository');
      const found = await mirror.tags(mirrorRequest(ctx, `${repositoryPath(name)}/tags`, ctx.search), name);
      if (found) reply(ctx, found);
      return found !== null;
    }),
    tag: fallback(async (ctx) => {
      const name = param(ctx.state, 'repository');
      const tag = param(ctx.state, 'tag');
      const found = await mirror.tags(mirrorRequest(ctx, `${repositoryPath(name)}/tags/${encodeURIComponent(tag)}`, ctx.search), name, tag);
      if (found) reply(ctx, found);
      return found !== null;
    }),
    repositoryImages: fallback(async (ctx) => {
      const upstream = await mirror.fetchSmall(mirrorRequest(ctx, `${repositoryPath(param(ctx.state, 'repository'))}/images`, ctx.search), 'index');
      if (!upstream) return false;
      reply(ctx, upstream);
      // Docker must come back to us for the layers, not go to the source's endpoints.
      if (ctx.response.get('X-Docker-Endpoints')) ctx.set('X-Docker-Endpoints', deps.config.registry_endpoints ?? endpointOf(ctx));
      return true;
    }),
  };
}

/** Run the local handler; if it answers 404, try `fromSource`; if that finds nothing either, the 404 stands. */
async function onLocalMiss(local: () => Promise<unknown>, fromSource: () => Promise<boolean>): Promise<void> {
  try {
    await local();
  } catch (err) {
    if (!(err instanceof RegistryError && err.status === 404)) throw err;
    if (!(await fromSource())) throw err;
  }
}
