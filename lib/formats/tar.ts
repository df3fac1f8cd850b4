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

/** A member's header, with its pax records also as the bytes the archive holds. */
export interface TarHeader extends Header {
  paxBytes?: Record<string, Buffer>;
}

/** Far above real layers (a large node_modules has ~10^5 files), far below what exhausts the heap. */
export const MAX_TAR_ENTRIES = 500_000;

/**
 * Call `onEntry` for each member, in archive order; it must consume `body` (a data listener,
 * or resume()). The source is closed whatever happens.
 */
export async function readTarEntries(layer: Readable, onEntry: (header: TarHeader, body: Readable) => void, maxEntries = MAX_TAR_ENTRIES): Promise<void> {
  const tar = extract();
  const takeRawPax = keepRawPax(tar);
  let count = 0;
  tar.on('entry', (header: TarHeader, body, next) => {
    if (++count > maxEntries) return void tar.destroy(new LayerFormatError(`more than ${maxEntries} tar entries`));
    const paxBytes = takeRawPax();
    if (paxBytes) header.paxBytes = paxBytes;
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

interface ExtractInternals {
  /** during a long header, its own type (`pax-header`, …), which the public Header type does not list */
  _header: { type?: string } | null;
  _decodeLongHeader(buf: Buffer): void;
}

/**
 * tar-stream decodes pax records as UTF-8, which turns a binary value (the `security.capability`
 * xattr of a file with capabilities) into U+FFFD, and tarsum.v1 hashes xattr values byte for
 * byte as Go's archive/tar read them. Its record decoder is private: wrap it to keep each
 * record's bytes as well, for the entry that follows. Merged with the global records as
 * tar-stream merges them. A tar-stream that renamed the decoder fails here, not silently.
 */
function keepRawPax(tar: ReturnType<typeof extract>): () => Record<string, Buffer> | null {
  const internals = tar as unknown as ExtractInternals;
  const decode = internals._decodeLongHeader;
  if (typeof decode !== 'function') throw new Error('tar-stream has no _decodeLongHeader: raw pax records cannot be kept');
  let global: Record<string, Buffer> = {};
  let pending: Record<string, Buffer> | null = null;
  internals._decodeLongHeader = function (this: ExtractInternals, buf: Buffer) {
    if (this._header?.type === 'pax-header') pending = { ...global, ...paxRecords(buf) };
    else if (this._header?.type === 'pax-global-header') global = paxRecords(buf);
    decode.call(this, buf);
  };
  return () => {
    const taken = pending;
    pending = null;
    return taken;
  };
}

/** `<length> <key>=<value>\n` records (POSIX pax), keys as UTF-8, values as bytes; stops at the first malformed one, as tar-stream does. */
export function paxRecords(buf: Buffer): Record<string, Buffer> {
  const records: Record<string, Buffer> = {};
  let rest = buf;
  while (rest.length > 0) {
    const space = rest.indexOf(0x20);
    const length = Number.parseInt(rest.subarray(0, space < 0 ? rest.length : space).toString('latin1'), 10);
    if (space < 0 || !(length > space + 1) || length > rest.length) break;
    const record = rest.subarray(space + 1, length - 1);
    const equals = record.indexOf(0x3d);
    if (equals < 0) break;
    records[record.subarray(0, equals).toString('utf8')] = record.subarray(equals + 1);
    rest = rest.subarray(length);
  }
  return records;
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
