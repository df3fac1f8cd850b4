/**
 * The writable a caller streams an object into, in front of a backend upload body. Ending
 * it does not end the upload: the body is ended only by `release()`, at commit, so nothing
 * becomes visible before the caller has decided to keep it (a digest check, say). Writes
 * wait for the body to drain, so memory stays bounded by the two buffers; if the upload dies
 * meanwhile (the body is destroyed), waiting and later writes fail instead of hanging.
 */
import { type PassThrough, Writable } from 'node:stream';
import { STREAM_CHUNK } from './driver.js';

export interface CommitGate {
  stream: Writable;
  size(): number;
  /** End the upload body: the object may now be completed. */
  release(): void;
  /** The upload failed: fail the writer's stream with this error. */
  fail(err: Error): void;
}

/**
 * `failure` names what a write waiting on the body fails with when the body is destroyed under
 * it (the upload's request failed): given the error the body died of, if any. Without it, a
 * plain "the upload was aborted"; a driver passes its own mapping so that a store gone away
 * reads as such wherever the failure surfaces first.
 */
export function commitGate(body: PassThrough, failure: (cause: Error | null) => Error = aborted): CommitGate {
  let size = 0;
  const stream = new Writable({
    highWaterMark: STREAM_CHUNK,
    write(chunk: Buffer, _enc, cb) {
      if (body.destroyed) return cb(failure(body.errored));
      size += chunk.length;
      if (body.write(chunk)) return cb();
      const settle = (err?: Error) => {
        body.off('drain', onDrain);
        body.off('close', onClose);
        cb(err);
      };
      const onDrain = () => settle();
      const onClose = () => settle(failure(body.errored));
      body.once('drain', onDrain);
      body.once('close', onClose);
    },
    final(cb) {
      cb();
    },
  });
  return {
    stream,
    size: () => size,
    release: () => body.end(),
    fail: (err) => {
      body.destroy();
      stream.destroy(err);
    },
  };
}

function aborted(): Error {
  return new Error('the upload was aborted');
}
