/**
 * GET/HEAD/DELETE /v2/<name>/blobs/<digest>: streamed, with RFC 9110 ranges, a storage
 * redirect or nginx X-Accel-Redirect when configured, as the V1 layer route does.
 */
import type Router from '@koa/router';
import type { Deps } from '../../../deps.js';
import { V2 } from '../../../errors/catalog.js';
import { RegistryError } from '../../../errors/registry-error.js';
import { servesLocalFiles } from '../../../storage/local-files.js';
import { v2 } from '../../../storage/paths.js';
import { parseBlobRange } from '../../byte-range.js';
import { abortSignal } from '../../request-signal.js';
import type { RequestState } from '../../state.js';
import { checkName, requireDigest } from '../../v2-names.js';
import { emptyReply } from '../../v2-response.js';
import type { V2Services } from './index.js';

const BLOB = '/v2/*name/blobs/:digest';

export function blobRoutes(router: Router<RequestState>, deps: Deps, { blobs }: V2Services): void {
  const { config } = deps;

  const serve = async (ctx: import('koa').ParameterizedContext<RequestState>, withBody: boolean) => {
    const name = checkName(String(ctx.params.name));
    // Docker 1.5-era tarsum blobSums: distribution answers 404 so that old clients upload again.
    if (String(ctx.params.digest).startsWith('tarsum')) throw new RegistryError(V2.BLOB_UNKNOWN, { detail: { digest: ctx.params.digest } });
    const digest = requireDigest(ctx.params.digest);
    const { size } = await blobs.stat(name, digest);
    ctx.set({ 'Docker-Content-Digest': digest.value, ETag: `"${digest.value}"`, 'Cache-Control': 'max-age=31536000' });
    if (ctx.get('If-None-Match') === `"${digest.value}"`) {
      ctx.status = 304;
      return;
    }
    const ranges = deps.storage.capabilities.ranges;
    if (ranges) ctx.set('Accept-Ranges', 'bytes');
    ctx.type = 'application/octet-stream';
    if (withBody && config.nginx_x_accel_redirect && servesLocalFiles(deps.storage)) {
      ctx.set('X-Accel-Redirect', `${config.nginx_x_accel_redirect.replace(/\/+$/, '')}/${v2.blobData(digest)}`);
      ctx.body = '';
      return;
    }
    if (withBody && config.storage_redirect && deps.storage.capabilities.redirect) {
      const url = await blobs.redirectUrl(digest);
      if (url) {
        ctx.status = 307;
        ctx.redirect(url);
        return;
      }
    }
    const range = ranges ? parseBlobRange(ctx.get('Range'), size) : { kind: 'full' as const };
    if (range.kind === 'unsatisfiable') {
      throw new RegistryError(V2.RANGE_INVALID, { headers: { 'Content-Range': `bytes */${size}` }, detail: { range: ctx.get('Range'), size } });
    }
    const [start, length] = range.kind === 'partial' ? [range.start, range.end - range.start + 1] : [0, size];
    if (range.kind === 'partial') {
      ctx.status = 206;
      ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    } else {
      ctx.status = 200;
    }
    ctx.length = length;
    if (withBody) ctx.body = await blobs.reader(digest, { offset: start, length, signal: abortSignal(ctx.req) });
  };

  // @koa/router answers HEAD with the GET route: no reader is opened for it, nor a redirect given.
  router.get(BLOB, (ctx) => serve(ctx, ctx.method !== 'HEAD'));
  router.delete(BLOB, async (ctx) => {
    if (!config.storage_delete_enabled) throw new RegistryError(V2.UNSUPPORTED, { message: 'deletes are disabled (storage_delete_enabled)' });
    await blobs.unlink(checkName(String(ctx.params.name)), requireDigest(ctx.params.digest));
    emptyReply(ctx, 202);
  });
}
