/**
 * The writable a caller streams an object into, in front of a backend upload body. Ending
 * it does not end the upload: the body is ended only by `release()`, at commit, so nothing
 * becomes visible before the caller has decided to keep it (a digest check, say). Writes
 * wait for the body to drain, so memory stays bounded by the two buffers.
 */
import { type PassThrough, Writable } from 'node:stream';

export interface CommitGate {
  stream: Writable;
  size(): number;
  /** End the upload body: the object may now be completed. */
  release(): void;
}

export function commitGate(body: PassThrough): CommitGate {
  let size = 0;
  const stream = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (body.write(chunk)) cb();
      else body.once('drain', () => cb());
    },
    final(cb) {
      cb();
    },
  });
  return { stream, size: () => size, release: () => body.end() };
}
