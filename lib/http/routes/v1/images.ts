/**
 * /v1/images/<id>/{json,layer,checksum,ancestry,files,diff}: thin handlers over ImageService.
 * V1 images are registry-global (their paths name no repository); in token mode, reads of an
 * image through a token for a private repository need the index's consent.
 */
import type { ParameterizedContext } from 'koa';
import type { Deps } from '../../../deps.js';
import { V1 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import { pyJson } from '../../../formats/py-json.js';
import type { V1Services } from '../../../services/index.js';
import { ACCESS } from '../../access.js';
import { V1_LAYER_RANGES } from '../../byte-range.js';
import { notModified, replyNotModified, serveImmutable, setImmutableCacheHeaders } from '../../cache-headers.js';
import { bodyTooSlow, readSmallBody, uploadBody } from '../../read-body.js';
import { abortSignal } from '../../request-signal.js';
import { sendBlob } from '../../send-blob.js';
import { param, type RequestState } from '../../state.js';
import { v1Json } from '../../v1-response.js';
import type { RouteDefiner } from '../route-table.js';
import type { V1Fallbacks } from './mirror.js';

export function imageRoutes(r: RouteDefiner, deps: Deps, { images, tokens, diffs }: V1Services, fallbacks: V1Fallbacks): void {
  const { config, storage } = deps;

  const readAllowed = async (ctx: ParameterizedContext<RequestState>, id: string) => {
    if (ctx.state.token) await tokens.checkImageRead(ctx.state.token, id);
  };

  r.get(
    '/v1/images/:id/json',
    ACCESS.pullImage,
    fallbacks.imageFile('json', async (ctx) => {
      const id = param(ctx.state, 'imageId');
      await readAllowed(ctx, id);
      await serveImmutable(ctx, id, async () => {
        const info = await images.getJson(id);
        if (info.size !== null) ctx.set('X-Docker-Size', String(info.size));
        if (info.checksums.length > 0) ctx.set('X-Docker-Checksum-Payload', info.checksums);
        ctx.type = 'application/json';
        ctx.body = info.json;
      });
    }),
  );

  r.put('/v1/images/:id/json', ACCESS.pushImage, async (ctx) => {
    const id = param(ctx.state, 'imageId');
    const token = ctx.state.token;
    const checks = token ? { belongs: () => tokens.checkImageBelongs(token, id), parentAllowed: (parent: string) => tokens.imageAccess(token, parent) } : {};
    await images.putJson(id, await readSmallBody(ctx), checks);
    v1Json(ctx, true);
  });

  r.get(
    '/v1/images/:id/layer',
    ACCESS.pullImage,
    fallbacks.imageFile('layer', async (ctx) => {
      const id = param(ctx.state, 'imageId');
      await readAllowed(ctx, id);
      // Any If-Modified-Since is a 304 before the image is even looked up, as docker-registry answered.
      if (notModified(ctx, id)) {
        if (storage.capabilities.ranges) ctx.set('Accept-Ranges', 'bytes');
        return replyNotModified(ctx, id);
      }
      await sendBlob(ctx, await images.layerSource(id), {
        withBody: ctx.method !== 'HEAD',
        ranges: storage.capabilities.ranges,
        dialect: V1_LAYER_RANGES,
        xAccel: config.nginx_x_accel_redirect,
        redirect: config.storage_redirect && storage.capabilities.redirect,
        redirectStatus: 302,
        headLikeGet: true,
        beforeBytes: () => setImmutableCacheHeaders(ctx, id),
        // What Docker 1.x reads as the clean end of a resumed download.
        unsatisfiable: (size) => {
          ctx.status = 416;
          ctx.set('Content-Range', `bytes */${size}`);
          ctx.body = '';
        },
      });
    }),
  );

  r.put('/v1/images/:id/layer', ACCESS.pushImage, async (ctx) => {
    await images.putLayer(param(ctx.state, 'imageId'), uploadBody(ctx, bodyTooSlow(V1.BODY_TOO_SLOW)), abortSignal(ctx.req));
    v1Json(ctx, true);
  });

  r.put('/v1/images/:id/checksum', ACCESS.pushImage, async (ctx) => {
    const id = param(ctx.state, 'imageId');
    const first = (name: string) => {
      const value = ctx.req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    await images.putChecksum(id, first('x-docker-checksum-payload'), first('x-docker-checksum'));
    if (diffs) await diffs.enqueue(id); // a Redis that is away only means no diff yet
    v1Json(ctx, true);
  });

  r.get(
    '/v1/images/:id/ancestry',
    ACCESS.pullImage,
    fallbacks.imageFile('ancestry', async (ctx) => {
      const id = param(ctx.state, 'imageId');
      await serveImmutable(ctx, id, async () => {
        ctx.type = 'application/json';
        ctx.body = pyJson(await images.getAncestry(id));
      });
    }),
  );

  r.get('/v1/images/:id/files', ACCESS.pullImage, async (ctx) => {
    const id = param(ctx.state, 'imageId');
    await readAllowed(ctx, id);
    await serveImmutable(ctx, id, async () => {
      ctx.type = 'application/json';
      ctx.body = await images.files(id);
    });
  });

  r.get('/v1/images/:id/diff', ACCESS.pullImage, async (ctx) => {
    const id = param(ctx.state, 'imageId');
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
