/**
 * A V1 layer as the tar stream inside it, whatever the client compressed it with: gzip
 * (Docker 0.6+ and every V1 push of Docker 1.x), xz (Docker 0.4–0.5) or none, told apart by
 * their magic bytes as Python's tarfile and Docker's DecompressStream did. Streamed, and
 * bounded: a layer that is not a tar, is cut short, or holds more entries than a file listing
 * or a tarsum may keep in memory is a LayerFormatError, never a crash.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { xzDecompressor } from './xz-stream.js';

export class LayerFormatError extends Error {}

/** Far above real layers (a large node_modules has ~10^5 files), far below what exhausts the heap. */
export const MAX_TAR_ENTRIES = 500_000;

/**
 * Call `onEntry` for each member, in archive order; it must consume `body` (a data listener,
 * or resume()). The source is closed whatever happens.
 */
export async function readTarEntries(layer: Readable, onEntry: (header: Header, body: Readable) => void, maxEntries = MAX_TAR_ENTRIES): Promise<void> {
  const tar = extract();
  let count = 0;
  tar.on('entry', (header: Header, body, next) => {
    if (++count > maxEntries) return void tar.destroy(new LayerFormatError(`more than ${maxEntries} tar entries`));
    // An entry cut short fails its own stream, which nothing else listens to.
    body.on('error', (err) => tar.destroy(err));
    body.on('end', () => next());
    onEntry(header, body as unknown as Readable);
  });
  try {
    await pipeline([...(await decompressed(layer)), tar]);
  } catch (err) {
    throw err instanceof LayerFormatError ? err : new LayerFormatError((err as Error).message);
  } finally {
    layer.destroy();
  }
}

const GZIP = Buffer.from([0x1f, 0x8b]);
const XZ = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

/** The stages to pipe the layer through for a plain tar stream: `[source, decompressor?]`. */
export async function decompressed(layer: Readable): Promise<Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream>> {
  const { head, rest } = await peek(layer, 6).catch((err) => {
    layer.destroy();
    throw err;
  });
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
