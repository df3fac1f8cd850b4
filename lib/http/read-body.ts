/**
 * Request bodies. Small ones (image JSON, tag ids, index lists) are read whole, with a limit: a
 * layer is never read this way, and a client cannot make the server buffer without bound.
 * Layers and blobs are streamed to storage through uploadBody().
 */
import { PassThrough, type Readable } from 'node:stream';
import type { Context } from 'koa';
import { V1 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { STREAM_CHUNK } from '../storage/driver.js';

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

/**
 * The request body as a stream that storage may fail on without cutting the connection.
 * pipeline() destroys its source when storage fails (a full disk, a store gone away), and
 * destroying the request destroys its socket: the client would see a dropped connection
 * instead of the error. Only this stream is destroyed then (a service that stops reading it
 * must destroy it too); the answer (507, 503, …) goes out with `Connection: close`, the rest
 * of the body is read and dropped meanwhile, and the connection ends after the answer (a
 * client may stop sending once it has it, so the server must not wait for a body that will
 * never come). A client that goes away still fails the stream ('aborted').
 */
export function uploadBody(ctx: Context): Readable {
  const req = ctx.req;
  const cutOff = () => {
    if (!req.complete) body.destroy(new Error('aborted'));
  };
  const body = new PassThrough({
    highWaterMark: STREAM_CHUNK,
    // Synchronous with the failure, so the header is set before any answer is rendered.
    destroy(err, done) {
      req.off('close', cutOff);
      if (!req.readableEnded) {
        req.unpipe(body);
        req.resume();
        if (!ctx.headerSent) ctx.set('Connection', 'close');
      }
      done(err);
    },
  });
  req.once('close', cutOff);
  // The pipeline reading it sees its failure; one nobody reads (pipe() adds no error listener)
  // must not become an uncaught exception.
  body.on('error', () => {});
  // A body nobody read to the end (refused before it was read, 409, 404…) is read and dropped
  // once the answer is out, as Node does with a body no handler took.
  ctx.res.once('finish', () => body.destroy());
  req.pipe(body);
  return body;
}
