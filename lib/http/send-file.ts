/**
 * Sending a byte range of a local file to a response without a stream in between: preads into
 * a few buffers of this response's own, each written to the socket as it arrives and read into
 * again once the socket has taken it (the write's callback). Node has no sendfile; this is the
 * nearest to it: one copy in, one copy out, and no new buffer per chunk. A Readable allocates
 * one per chunk (nobody tells it when the socket is done with one), and that external memory
 * is what made V8 run a full GC every few dozen MiB of a GET.
 *
 * Reads run ahead of the socket by at most the pool (they stay in order however they finish),
 * so the socket is never left waiting on the disk and memory stays at the pool. A client that
 * goes away stops the reads; the file handle is closed once the reads in flight are done. A
 * read that fails, or a file that turns out shorter than promised, cuts the response (its
 * length was already sent).
 */
import { read } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { LocalFile } from '../storage/driver.js';

/** bytes per read and per socket write */
const PIECE = 1 << 20;
/** buffers per response: reads ahead of the socket */
const POOL = 3;

interface Slot {
  buffer: Buffer;
  /** bytes read, once the read is done */
  bytes: number | null;
}

/** Write bytes [start, start + length) of `file` to `res`, then end it; closes the file. Never throws. */
export function sendFile(res: ServerResponse, file: LocalFile, start: number, length: number): void {
  const end = Math.min(start + length, file.size);
  const fd = file.handle.fd;
  const queue: Slot[] = []; // reads issued, oldest first
  const free: Buffer[] = [];
  let next = start;
  let pool = 0;
  let reading = 0;
  let stopped = false;
  let closed = false;

  const closeFile = () => {
    if (closed || reading > 0) return;
    closed = true;
    file.handle.close().catch(() => {});
  };
  const stop = (err?: Error) => {
    if (stopped) return;
    stopped = true;
    if (err || !res.writableEnded) res.destroy(err);
    closeFile();
  };
  res.once('close', () => stop());

  const fill = () => {
    while (!stopped && next < end) {
      let buffer = free.pop();
      if (!buffer && pool < POOL) {
        buffer = Buffer.allocUnsafeSlow(Math.min(PIECE, end - start));
        pool++;
      }
      if (!buffer) return;
      const slot: Slot = { buffer, bytes: null };
      const want = Math.min(buffer.length, end - next);
      const at = next;
      next += want;
      queue.push(slot);
      reading++;
      read(fd, buffer, 0, want, at, (err, bytes) => {
        reading--;
        if (stopped) return closeFile();
        if (err) return stop(err);
        if (bytes < want) return stop(new Error(`file ended at ${at + bytes}, expected ${end} bytes`));
        slot.bytes = bytes;
        flush();
      });
    }
  };

  const flush = () => {
    while (!stopped && queue[0]?.bytes != null) {
      const slot = queue.shift() as Slot;
      const bytes = slot.bytes as number;
      file.onRead?.(bytes);
      res.write(bytes === slot.buffer.length ? slot.buffer : slot.buffer.subarray(0, bytes), (err) => {
        if (err) return stop();
        free.push(slot.buffer);
        fill();
      });
    }
    if (!stopped && queue.length === 0 && next >= end) {
      stopped = true;
      res.end();
      closeFile();
    }
  };

  if (end <= start) flush();
  else fill();
}
