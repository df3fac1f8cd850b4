/**
 * docker-registry's `toolkit.response`: JSON bodies (`true` for "nothing to say") with
 * no-cache headers. Used by every V1 response that is not a layer.
 */
import type { Context } from 'koa';
import { pyJson } from '../formats/py-json.js';

export const V1_NO_CACHE_HEADERS = { 'Cache-Control': 'no-cache', Expires: '-1', Pragma: 'no-cache' } as const;

export function v1Json(ctx: Context, data: unknown, status = 200, headers: Record<string, string> = {}): void {
  ctx.status = status;
  ctx.set(V1_NO_CACHE_HEADERS);
  ctx.set(headers);
  if (status === 204 || status === 304) return; // never a body on 204/304
  ctx.type = 'application/json';
  ctx.body = pyJson(data === undefined || data === null ? true : data);
}
