/**
 * A byte range of an open file as a stream, read in 1 MiB preads with two in flight (four
 * when the thread pool has room, see below). Node's fs.ReadStream has one read in flight at a
 * time, so the disk idles while the consumer (a socket, a hash) handles each chunk; queued
 * reads keep it busy. Cold reads measured 55-82% of `cat` with one read in flight, 85% with
 * two and 96% with four (bench/storage.mjs). The reads run on libuv's thread pool: four
 * threads unless UV_THREADPOOL_SIZE says otherwise, and it cannot be changed from inside the
 * process. Four reads per stream on four threads would let two pulls queue every other file
 * operation behind them, so four are used only when the operator gave the pool 8 threads or
 * more. The file handle is closed when the stream ends, fails or is destroyed.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { STREAM_CHUNK } from '../driver.js';

const DEPTH = Number(process.env.UV_THREADPOOL_SIZE ?? 4) >= 8 ? 4 : 2;

export class FileRangeReader extends Readable {
  private next: number;
  private readonly inFlight: Promise<Buffer>[] = [];

  /** Bytes [start, end) of `handle`; a file shorter than `end` ends the stream early. */
  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly end: number,
  ) {
    super({ highWaterMark: STREAM_CHUNK });
    this.next = start;
  }

  override _read(): void {
    this.fill();
    const chunk = this.inFlight.shift();
    if (!chunk) {
      this.push(null);
      return;
    }
    chunk.then(
      (data) => {
        if (data.length === 0) {
          this.next = this.end; // the file is shorter than it was: nothing more to read
          this.push(null);
        } else {
          this.push(data);
        }
      },
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Reads still running write into buffers nobody holds; the handle waits for them.
    Promise.allSettled(this.inFlight)
      .then(() => this.handle.close())
      .then(
        () => cb(err),
        () => cb(err),
      );
  }

  private fill(): void {
    while (this.inFlight.length < DEPTH && this.next < this.end) {
      const length = Math.min(STREAM_CHUNK, this.end - this.next);
      const at = this.next;
      this.next += length;
      const buffer = Buffer.allocUnsafeSlow(length);
      const read = this.handle.read(buffer, 0, length, at).then(({ bytesRead }) => (bytesRead === length ? buffer : buffer.subarray(0, bytesRead)));
      read.catch(() => {}); // a read queued ahead may fail after the stream is gone; _read reports the ones it reaches
      this.inFlight.push(read);
    }
  }
}
