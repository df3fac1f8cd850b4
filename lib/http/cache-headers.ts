/**
 * Image JSON, layers and ancestry never change once written, so docker-registry let proxies
 * and clients cache them for a year, and answered any If-Modified-Since with 304. Kept, with
 * an ETag (the image id) added, which is harmless to old clients.
 */
import type { Context } from 'koa';

export function setImmutableCacheHeaders(ctx: Context, etag: string): void {
  const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  ctx.set({
    'Cache-Control': 'public, max-age=31536000',
    Expires: expires.toUTCString(),
    'Last-Modified': 'Thu, 01 Jan 1970 00:00:00 GMT',
    ETag: `"${etag}"`,
  });
}

/** true when the client may use its cached copy (any If-Modified-Since, as before, or a matching ETag). */
export function notModified(ctx: Context, etag: string): boolean {
  return Boolean(ctx.get('If-Modified-Since')) || ctx.get('If-None-Match') === `"${etag}"`;
}

/**
 * An immutable image resource: 304 when the client may use its copy, else `serve` and mark
 * the answer cacheable for a year.
 */
export async function serveImmutable(ctx: Context, etag: string, serve: () => Promise<void>): Promise<void> {
  if (notModified(ctx, etag)) return replyNotModified(ctx, etag);
  await serve();
  setImmutableCacheHeaders(ctx, etag);
}

export function replyNotModified(ctx: Context, etag: string): void {
  setImmutableCacheHeaders(ctx, etag);
  ctx.status = 304;
}
