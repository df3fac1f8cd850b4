/**
 * Request bodies as handlers read them, through the body watch (http/body-watch.ts):
 *
 * - small bodies (image JSON, tag ids, index lists, manifests) read whole, with a size limit
 *   and a total deadline (small_body_timeout), so a client can make the server neither buffer
 *   without bound nor wait without end; a layer is never read this way;
 * - upload bodies (V1 layers, V2 blobs) as a stream to storage, with the idle rule
 *   (upload_idle_timeout) on top of the minimum rate every body has.
 *
 * A body cut for being too slow fails with the caller's error (a 408 in its API's envelope),
 * answered with `Connection: close`.
 *
 * Either stream may be failed by its reader without cutting the connection. pipeline()
 * destroys its source when storage fails (a full disk, a store gone away), and destroying the
 * request would destroy its socket: the client would see a dropped connection instead of the
 * error. Only the stream is destroyed then (a service that stops reading it must destroy it
 * too); the answer (507, 503, 413, …) goes out with `Connection: close`, the rest of the body is
 * read and dropped meanwhile, and the connection ends after the answer (a client may stop
 * sending once it has it, so the server must not wait for a body that will never come). A
 * client that goes away still fails the stream ('aborted').
 */
import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { CatalogEntry } from '../errors/catalog.js';
import { V1, V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import type { BodyKind, Cut } from './body-watch.js';
import { familyOf, type RequestState } from './state.js';

export { hasBody } from './body-watch.js';

type BodyContext = Context & { state: Partial<RequestState> };

/** The 408 of a body that broke a rule: `entry`'s code, the cut's reason, and the connection closes. */
export function bodyTooSlow(entry: CatalogEntry): (cut: Cut) => RegistryError {
  return (cut) => new RegistryError(entry, { args: [cut.text], detail: { reason: cut.reason }, headers: { Connection: 'close' } });
}

export async function readSmallBody(
  ctx: BodyContext,
  limit = 10 * 1024 * 1024,
  tooLarge: () => RegistryError = () => new RegistryError(V1.BODY_TOO_LARGE, { args: [limit] }),
  tooSlow: (cut: Cut) => RegistryError = bodyTooSlow(familyOf(ctx.state, ctx.path) === 'v2' ? V2.MANIFEST_TOO_SLOW : V1.BODY_TOO_SLOW),
): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length') || 0);
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body(ctx, 'small', tooSlow)) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A layer or blob body, streamed: the minimum rate, and no byte for upload_idle_timeout is a 408 too. */
export function uploadBody(ctx: BodyContext, tooSlow: (cut: Cut) => Error): Readable {
  return body(ctx, 'upload', tooSlow);
}

function body(ctx: BodyContext, kind: BodyKind, tooSlow: (cut: Cut) => Error): Readable {
  const watched = ctx.state.requestBody;
  if (!watched) return ctx.req; // no body at all
  // Synchronous with the reader's failure, so the header is set before any answer is rendered.
  const stream = watched.stream(kind, tooSlow, () => {
    if (!ctx.headerSent) ctx.set('Connection', 'close');
  });
  // A body nobody read to the end (refused before it was read, 409, 404…) is read and dropped
  // once the answer is out, as Node does with a body no handler took.
  ctx.res.once('finish', () => stream.destroy());
  return stream;
}
