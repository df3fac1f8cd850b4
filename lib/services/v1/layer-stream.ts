/**
 * A V1 layer as the tar stream inside it, whatever the client compressed it with: gzip
 * (Docker 0.6+ and every V1 push of Docker 1.x), xz (Docker 0.4–0.5) or none, told apart by
 * their magic bytes as Python's tarfile and Docker's DecompressStream did. Streamed.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { xzDecompressor } from './xz-stream.js';

const GZIP = Buffer.from([0x1f, 0x8b]);
const XZ = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The stages to pipe the layer through for a plain tar stream: `[source, decompressor?]`. */
export async function decompressed(layer: Readable): Promise<Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>> {
  const { head, rest } = await peek(layer, 6);
  if (head.subarray(0, 6).equals(XZ)) return [rest, xzDecompressor()];
  if (head.subarray(0, 2).equals(GZIP)) return [rest, createGunzip()];
  return [rest];
}

/** The first `n` bytes, and a stream that still yields everything. */
async function peek(stream: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = stream[Symbol.asyncIterator]();
  while (size < n) {
    const { value, done } = await iterator.next();
    if (done) break;
    chunks.push(value as Buffer);
    size += (value as Buffer).length;
  }
  const head = Buffer.concat(chunks);
  const rest = Readable.from(
    (async function* () {
      yield head;
      for (;;) {
        const { value, done } = await iterator.next();
        if (done) return;
        yield value as Buffer;
      }
    })(),
  );
  return { head, rest };
}
