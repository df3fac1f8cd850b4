/**
 * Sending stored bytes (a V1 layer, a V2 blob): by nginx (`X-Accel-Redirect`, when storage is
 * local files and `nginx_x_accel_redirect` is set), by the object store (a presigned URL, with
 * `storage_redirect`), or streamed by Berth with ranges. The V1 and V2 routes differ only in
 * what the options say: which range dialect, whether a HEAD is answered the same way, and how
 * an unsatisfiable range is reported.
 */
import type { Context } from 'koa';
import type { StoredObject } from '../services/stored-object.js';
import { parseRange, type RangeDialect } from './byte-range.js';
import { abortSignal } from './request-signal.js';
import { sendFile } from './send-file.js';

export interface SendOptions {
  /** false for HEAD: headers only */
  withBody: boolean;
  /** storage honours ranges (then `Accept-Ranges: bytes`) */
  ranges: boolean;
  dialect: RangeDialect;
  /** the `nginx_x_accel_redirect` prefix, or null */
  xAccel: string | null;
  /** hand out the object store's URL (`storage_redirect`) */
  redirect: boolean;
  redirectStatus: 302 | 307;
  /** V1 answers a HEAD as it answers a GET (X-Accel, redirect); V2 answers it itself, without opening anything */
  headLikeGet: boolean;
  /** headers for a response that carries (or hands nginx) the bytes, not for a redirect */
  beforeBytes?: () => void;
  /** how an unsatisfiable range is answered */
  unsatisfiable: (size: number) => void;
}

export async function sendBlob(ctx: Context, source: StoredObject, options: SendOptions): Promise<void> {
  const { size } = source;
  const direct = options.withBody || options.headLikeGet;
  if (options.ranges) ctx.set('Accept-Ranges', 'bytes');
  if (direct && options.xAccel && source.localKey) {
    options.beforeBytes?.();
    ctx.set('X-Accel-Redirect', `${options.xAccel.replace(/\/+$/, '')}/${source.localKey}`);
    ctx.type = 'application/octet-stream';
    ctx.body = '';
    return;
  }
  if (direct && options.redirect) {
    const url = await source.redirectUrl();
    if (url) {
      ctx.status = options.redirectStatus;
      ctx.redirect(url);
      return;
    }
  }
  options.beforeBytes?.();
  ctx.type = 'application/octet-stream';
  const range = options.ranges ? parseRange(ctx.get('Range'), size, options.dialect) : { kind: 'full' as const };
  if (range.kind === 'unsatisfiable') return options.unsatisfiable(size);
  const [offset, length] = range.kind === 'partial' ? [range.start, range.end - range.start + 1] : [0, size];
  if (range.kind === 'partial') {
    ctx.status = 206;
    ctx.set('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  } else {
    ctx.status = 200;
  }
  ctx.length = length;
  // A HEAD gets the length without a reader opened; a zero-size object is an empty 200 (the
  // old registry answered 416), nothing to open either.
  if (!options.withBody) return;
  if (length === 0) {
    ctx.body = '';
  } else if (source.openFile) {
    // A local file goes to the socket through a few reused buffers (send-file.ts); Koa leaves
    // the response to it. The file is opened first, so a missing one is still a 404.
    const file = await source.openFile();
    ctx.respond = false;
    sendFile(ctx.res, file, offset, length);
  } else {
    ctx.body = await source.reader({ offset, length }, abortSignal(ctx.req));
  }
}
