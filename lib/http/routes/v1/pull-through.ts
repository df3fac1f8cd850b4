/**
 * V1 routes of a pull-through cache of a V2 registry (lib/mirror/v1-pull.ts): before a tag,
 * the tag list or the repository's image list is read, the upstream's image is brought in and
 * the bridge shows it; the local handler then answers as for any bridged image. Image JSON,
 * ancestry and layers need nothing more: their ids are those the bridge derived. With a V1
 * source (or one whose protocol is not known yet), the V1 mirror's fallbacks stand.
 */
import type { V1PullThrough } from '../../../mirror/v1-pull.js';
import { param } from '../../state.js';
import type { V1Fallbacks } from './mirror.js';

export function pullThroughFallbacks(pull: V1PullThrough, v1Source: V1Fallbacks): V1Fallbacks {
  type Handler = Parameters<V1Fallbacks['tags']>[0];
  const first =
    (bringIn: (ctx: Parameters<Handler>[0]) => Promise<void>, otherwise: (local: Handler) => Handler) =>
    (local: Handler): Handler => {
      const legacy = otherwise(local);
      return async (ctx, next) => {
        if (!(await pull.mirror.isV2())) return legacy(ctx, next);
        if (await pull.fetches(param(ctx.state, 'repository'))) await bringIn(ctx);
        return local(ctx, next);
      };
    };
  const everyTag = (ctx: Parameters<Handler>[0]) => pull.tags(param(ctx.state, 'repository'));
  // Every Docker 1.x pull asks the image list first, whatever tag it wants; the tags it then
  // reads bring their own images in, so the list only has to exist: one tag makes it.
  const someTag = (ctx: Parameters<Handler>[0]) => pull.tags(param(ctx.state, 'repository'), 1);
  return {
    imageFile: (file, local) => {
      const legacy = v1Source.imageFile(file, local);
      return async (ctx, next) => ((await pull.mirror.isV2()) ? local(ctx, next) : legacy(ctx, next));
    },
    tag: first((ctx) => pull.tag(param(ctx.state, 'repository'), param(ctx.state, 'tag')), v1Source.tag),
    tags: first(everyTag, v1Source.tags),
    repositoryImages: first(someTag, v1Source.repositoryImages),
  };
}
