/**
 * GET/HEAD/DELETE /v2/<name>/blobs/<digest>: streamed, with RFC 9110 ranges, a storage
 * redirect or nginx X-Accel-Redirect when configured (http/send-blob.ts, as the V1 layer route).
 */
import type { Deps } from '../../../deps.js';
import { V2 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import type { V2Services } from '../../../services/index.js';
import { ACCESS } from '../../access.js';
import { V2_BLOB_RANGES } from '../../byte-range.js';
import { sendBlob } from '../../send-blob.js';
import { param } from '../../state.js';
import { emptyReply } from '../../v2-response.js';
import type { RouteDefiner } from '../route-table.js';

const BLOB = '/v2/*name/blobs/:digest';

export function blobRoutes(r: RouteDefiner, deps: Deps, { blobs }: V2Services): void {
  const { config, storage } = deps;

  // @koa/router answers HEAD with the GET route: no reader is opened for it, nor a redirect given.
  r.get(BLOB, ACCESS.pull, async (ctx) => {
    const digest = param(ctx.state, 'digest');
    const source = await blobs.source(param(ctx.state, 'name'), digest);
    const etag = `"${digest.value}"`;
    ctx.set({ 'Docker-Content-Digest': digest.value, ETag: etag, 'Cache-Control': 'max-age=31536000' });
    if (ctx.get('If-None-Match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/octet-stream';
    await sendBlob(ctx, source, {
      withBody: ctx.method !== 'HEAD',
      ranges: storage.capabilities.ranges,
      dialect: V2_BLOB_RANGES,
      xAccel: config.nginx_x_accel_redirect,
      redirect: config.storage_redirect && storage.capabilities.redirect,
      redirectStatus: 307,
      headLikeGet: false,
      unsatisfiable: (size) => {
        throw new RegistryError(V2.RANGE_INVALID, { headers: { 'Content-Range': `bytes */${size}` }, detail: { range: ctx.get('Range'), size } });
      },
    });
  });

  r.delete(BLOB, ACCESS.delete, async (ctx) => {
    if (!config.storage_delete_enabled) throw new RegistryError(V2.UNSUPPORTED, { message: 'deletes are disabled (storage_delete_enabled)' });
    await blobs.unlink(param(ctx.state, 'name'), param(ctx.state, 'digest'));
    emptyReply(ctx, 202);
  });
}
