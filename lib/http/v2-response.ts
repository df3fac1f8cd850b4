/** V2 answers without a body (201/202/204 of uploads, manifest PUT, deletes): headers only, no text/plain type. */
import type { Context } from 'koa';

export function emptyReply(ctx: Context, status: number, headers: Record<string, string | string[]> = {}): void {
  ctx.status = status;
  ctx.set(headers);
  if (status !== 204) {
    ctx.body = '';
    ctx.length = 0;
    ctx.remove('Content-Type');
  }
}
