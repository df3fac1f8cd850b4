/**
 * /v1/images/<id>/{json,layer,checksum,ancestry,diff}: thin handlers over ImageService.
 */
import type Router from '@koa/router';
import type { Deps } from '../../../deps.js';
import { V1 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import { pyJson } from '../../../formats/py-json.js';
import type { ImageService } from '../../../services/v1/images.js';
import type { DiffService } from '../../../services/v1/layer-diff.js';
import type { TokenService } from '../../../services/v1/tokens.js';
import { servesLocalFiles } from '../../../storage/local-files.js';
import { v1 } from '../../../storage/paths.js';
import { parseLayerRange } from '../../byte-range.js';
import { notModified, replyNotModified, serveImmutable, setImmutableCacheHeaders } from '../../cache-headers.js';
import { readSmallBody } from '../../read-body.js';
import { abortSignal } from '../../request-signal.js';
import type { RequestState } from '../../state.js';
import { checkImageId } from '../../v1-names.js';
import { v1Json } from '../../v1-response.js';

export function imageRoutes(router: Router<RequestState>, deps: Deps, images: ImageService, tokens: TokenService, diffs: DiffService | null): void {
  const { config } = deps;

  /** Token mode: reads through a token for a private repository need the index's consent. */
  const readAllowed = async (ctx: import('koa').ParameterizedContext<RequestState>, id: string) => {
    if (ctx.state.token) await tokens.checkImageRead(ctx.state.token, id);
  };

  router.get('/v1/images/:id/json', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    await readAllowed(ctx, id);
    await serveImmutable(ctx, id, async () => {
      const info = await images.getJson(id);
      if (info.size !== null) ctx.set('X-Docker-Size', String(info.size));
      if (info.checksums.length > 0) ctx.set('X-Docker-Checksum-Payload', info.checksums);
      ctx.type = 'application/json';
      ctx.body = info.json;
    });
  });

  router.put('/v1/images/:id/json', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    const token = ctx.state.token;
    const checks = token ? { belongs: () => tokens.checkImageBelongs(token, id), parentAllowed: (parent: string) => tokens.imageAccess(token, parent) } : {};
    await images.putJson(id, await readSmallBody(ctx), checks);
    v1Json(ctx, true);
  });

  router.get('/v1/images/:id/layer', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    await readAllowed(ctx, id);
    const ranges = deps.storage.capabilities.ranges;
    if (ranges) ctx.set('Accept-Ranges', 'bytes');
    if (notModified(ctx, id)) return replyNotModified(ctx, id);
    if (config.nginx_x_accel_redirect && servesLocalFiles(deps.storage)) {
      await images.layerSize(id);
      setImmutableCacheHeaders(ctx, id);
      ctx.set('X-Accel-Redirect', `${config.nginx_x_accel_redirect.replace(/\/+$/, '')}/${v1.imageLayer(id)}`);
      ctx.type = 'application/octet-stream';
      ctx.body = '';
      return;
    }
    const size = await images.layerSize(id);
    if (config.storage_redirect && deps.storage.capabilities.redirect) {
      const url = await images.layerRedirect(id);
      if (url) return void ctx.redirect(url);
    }
    setImmutableCacheHeaders(ctx, id);
    ctx.type = 'application/octet-stream';
    const range = ranges ? parseLayerRange(ctx.get('Range'), size) : { kind: 'full' as const };
    if (range.kind === 'unsatisfiable') {
      ctx.status = 416;
      ctx.set('Content-Range', `bytes */${size}`);
      ctx.body = '';
      return;
    }
    const signal = abortSignal(ctx.req);
    if (range.kind === 'partial') {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
      ctx.length = range.end - range.start + 1;
      ctx.body = await images.layer(id, { offset: range.start, length: range.end - range.start + 1 }, signal);
      return;
    }
    ctx.status = 200;
    ctx.length = size; // a zero-size layer is an empty 200 (the old registry answered 416)
    ctx.body = size === 0 ? '' : await images.layer(id, undefined, signal);
  });

  router.put('/v1/images/:id/layer', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    await images.putLayer(id, ctx.req, abortSignal(ctx.req, config.upload_idle_timeout));
    v1Json(ctx, true);
  });

  router.put('/v1/images/:id/checksum', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    const first = (name: string) => {
      const value = ctx.req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    await images.putChecksum(id, first('x-docker-checksum-payload'), first('x-docker-checksum'));
    if (diffs) await diffs.enqueue(id); // a Redis that is away only means no diff yet
    v1Json(ctx, true);
  });

  router.get('/v1/images/:id/ancestry', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    await serveImmutable(ctx, id, async () => {
      ctx.type = 'application/json';
      ctx.body = pyJson(await images.getAncestry(id));
    });
  });

  router.get('/v1/images/:id/files', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    await readAllowed(ctx, id);
    await serveImmutable(ctx, id, async () => {
      ctx.type = 'application/json';
      ctx.body = await images.files(id);
    });
  });

  router.get('/v1/images/:id/diff', async (ctx) => {
    const id = checkImageId(ctx.params.id as string);
    if (!diffs) throw new RegistryError(V1.DIFF_QUEUE_DISABLED);
    await readAllowed(ctx, id);
    await images.getAncestry(id); // 404 for an image that does not exist (docker-registry queued those too)
    // Not there yet: queued, and an empty 200, cacheable, as docker-registry answered.
    await serveImmutable(ctx, id, async () => {
      ctx.type = 'application/json';
      ctx.body = (await diffs.get(id)) ?? '';
    });
  });
}
