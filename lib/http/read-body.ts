/**
 * Small request bodies (image JSON, tag ids, index lists) read whole, with a limit: a layer is
 * never read this way, and a client cannot make the server buffer without bound.
 */
import type { Context } from 'koa';
import { V1 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';

export async function readSmallBody(
  ctx: Context,
  limit = 10 * 1024 * 1024,
  tooLarge: () => RegistryError = () => new RegistryError(V1.BODY_TOO_LARGE, { args: [limit] }),
): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Whether a request carries a body at all (chunked, or a non-zero Content-Length). */
export function hasBody(ctx: Context): boolean {
  return ctx.req.headers['transfer-encoding'] !== undefined || Number(ctx.req.headers['content-length'] ?? 0) > 0;
}
