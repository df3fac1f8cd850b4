/**
 * Where the bytes of an upload session go, two ways behind one interface:
 *
 * - AppendedData (drivers that can append in place: local disk): one `_uploads/<uuid>/data`
 *   file as registry:2 keeps it. Each chunk is appended and rolled back if it does not arrive
 *   whole. The sha256 of what this process appended is carried from chunk to chunk, so the
 *   closing PUT usually knows the digest without reading the data again, and moves the file
 *   into place with a rename. When another process took a chunk, the data is hashed once at
 *   the end.
 * - PartsData (S3, Glance's alternate, anything else): one object per chunk, named by its
 *   offset, with its own sha256. A single part whose sum matches is moved into place; several
 *   are streamed, in order, through the hash into the blob's final key.
 *
 * Both only ever make a blob visible after the digest matched.
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Digest, DigestingStream, fromHash } from '../../checksums/digest.js';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { exists, listOrEmpty, type ObjectWriter, pipeTapped, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v2 } from '../../storage/paths.js';
import { type BlobInfo, type BlobStore, digestMismatch, readLink } from './blobs.js';

/** An inclusive byte range from `Content-Range: <start>-<end>`. */
export interface ChunkRange {
  start: number;
  end: number;
}

export interface UploadData {
  /** bytes received so far */
  offset(name: string, uuid: string, signal?: AbortSignal): Promise<number>;
  /**
   * Take one chunk at `offset`; returns its length. A chunk that fails leaves nothing.
   * `beforeCommit` runs once the chunk is whole, right before it is kept (the session lock's check).
   */
  write(
    name: string,
    uuid: string,
    offset: number,
    body: Readable,
    range: ChunkRange | null,
    signal?: AbortSignal,
    beforeCommit?: () => Promise<void>,
  ): Promise<number>;
  /** Verify the whole upload against `expected` and put it at the blob's key. */
  assemble(name: string, uuid: string, expected: Digest, signal?: AbortSignal): Promise<BlobInfo>;
  /** forget any in-process state of a session that ended */
  forget(name: string, uuid: string): void;
}

type AppendableDriver = StorageDriver & Required<Pick<StorageDriver, 'appender'>>;

export function uploadData(storage: StorageDriver, blobs: BlobStore): UploadData {
  return storage.appender ? new AppendedData(storage as AppendableDriver, blobs) : new PartsData(storage, blobs);
}

/** Stream a chunk into `writer`, hashing it with `hash` when given; commit only if it is whole (and `beforeCommit` agrees). */
async function takeChunk(
  writer: ObjectWriter,
  body: Readable,
  range: ChunkRange | null,
  hash: Hash | null,
  signal?: AbortSignal,
  beforeCommit?: () => Promise<void>,
): Promise<number> {
  let size = 0;
  try {
    await pipeTapped(
      body,
      writer.stream,
      (chunk) => {
        hash?.update(chunk);
        size += chunk.length;
      },
      signal,
    );
    if (range && size !== range.end - range.start + 1) {
      throw new RegistryError(V2.SIZE_INVALID, { detail: { range: `${range.start}-${range.end}`, received: size } });
    }
    if (size === 0) await writer.cancel();
    else {
      await beforeCommit?.();
      await writer.commit();
    }
    return size;
  } catch (err) {
    await writer.cancel();
    throw err;
  }
}

/** The sha256 states of sessions this process has appended to, by session and offset. Bounded. */
class LiveHashes {
  private readonly states = new Map<string, { offset: number; hash: Hash }>();

  constructor(private readonly max = 1000) {}

  /** A copy of the state at `offset` (a fresh hash at 0), or null if this process does not know it. */
  at(key: string, offset: number): Hash | null {
    const state = this.states.get(key);
    if (state && state.offset === offset) return state.hash.copy();
    return offset === 0 ? createHash('sha256') : null;
  }

  set(key: string, offset: number, hash: Hash | null): void {
    this.states.delete(key);
    if (!hash) return;
    if (this.states.size >= this.max) this.states.delete(this.states.keys().next().value as string);
    this.states.set(key, { offset, hash });
  }

  delete(key: string): void {
    this.states.delete(key);
  }
}

class AppendedData implements UploadData {
  private readonly hashes = new LiveHashes();

  constructor(
    private readonly storage: AppendableDriver,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * The length in whole chunks, as recorded after each one: a chunk still arriving (or cut
   * off by a crash) is not counted. A session registry:2 started has no record: its file size.
   */
  async offset(name: string, uuid: string, signal?: AbortSignal): Promise<number> {
    const recorded = await this.storage.getContent(v2.uploadCommitted(name, uuid), signal).then(
      (b) => Number(b.toString('utf8')),
      (err) => (isNotFound(err) ? null : Promise.reject(err)),
    );
    if (recorded !== null && Number.isSafeInteger(recorded) && recorded >= 0) return recorded;
    try {
      return (await this.storage.stat(v2.uploadData(name, uuid), signal)).size;
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
  }

  async write(
    name: string,
    uuid: string,
    offset: number,
    body: Readable,
    range: ChunkRange | null,
    signal?: AbortSignal,
    beforeCommit?: () => Promise<void>,
  ): Promise<number> {
    const key = `${name}/${uuid}`;
    // Record the length before the first chunk of a session, so that the bytes of a chunk still
    // arriving are never counted (a registry:2 session is adopted at its size the same way).
    const committed = v2.uploadCommitted(name, uuid);
    if (!(await exists(this.storage, committed, signal))) await this.storage.putContent(committed, String(offset), signal);
    const hash = this.hashes.at(key, offset);
    const size = await takeChunk(await this.storage.appender(v2.uploadData(name, uuid), offset, signal), body, range, hash, signal, beforeCommit);
    if (size > 0) await this.storage.putContent(v2.uploadCommitted(name, uuid), String(offset + size), signal);
    this.hashes.set(key, offset + size, hash);
    return size;
  }

  async assemble(name: string, uuid: string, expected: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    const data = v2.uploadData(name, uuid);
    const size = await this.offset(name, uuid, signal);
    // Cut whatever a crashed chunk left past the recorded length (an empty append at `size`).
    if (size > 0) await (await this.storage.appender(data, size, signal)).commit();
    const live = expected.algorithm === 'sha256' ? this.hashes.at(`${name}/${uuid}`, size) : null;
    let actual: Digest;
    if (live) {
      actual = fromHash('sha256', live);
    } else {
      const hashing = new DigestingStream(expected.algorithm);
      const source = size === 0 ? Readable.from([]) : await this.storage.reader(data, signal ? { signal } : {});
      await pipeline(source, hashing, new Writable({ write: (_c, _e, cb) => cb() }), signal ? { signal } : {});
      actual = hashing.digest();
    }
    if (actual.value !== expected.value) throw digestMismatch(expected, actual);
    if (await this.blobs.hasOwnData(expected, signal)) return { digest: expected, size };
    if (size === 0) await this.blobs.putSmall(expected, Buffer.alloc(0), signal);
    else await this.storage.move(data, v2.blobData(expected), signal);
    return { digest: expected, size };
  }

  forget(name: string, uuid: string): void {
    this.hashes.delete(`${name}/${uuid}`);
  }
}

interface Part {
  offset: number;
  path: string;
}

class PartsData implements UploadData {
  constructor(
    private readonly storage: StorageDriver,
    private readonly blobs: BlobStore,
  ) {}

  async offset(name: string, uuid: string, signal?: AbortSignal): Promise<number> {
    const last = (await this.parts(name, uuid, signal)).at(-1);
    return last ? last.offset + (await this.storage.stat(last.path, signal)).size : 0;
  }

  async write(
    name: string,
    uuid: string,
    offset: number,
    body: Readable,
    range: ChunkRange | null,
    signal?: AbortSignal,
    beforeCommit?: () => Promise<void>,
  ): Promise<number> {
    const hash = createHash('sha256');
    const size = await takeChunk(await this.storage.writer(v2.uploadPart(name, uuid, offset), signal), body, range, hash, signal, beforeCommit);
    if (size > 0) await this.storage.putContent(v2.uploadPartSum(name, uuid, offset), fromHash('sha256', hash).value, signal);
    return size;
  }

  async assemble(name: string, uuid: string, expected: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    const parts = await this.parts(name, uuid, signal);
    const only = parts.length === 1 ? (parts[0] as Part) : null;
    if (only && expected.algorithm === 'sha256') {
      const sum = await readLink(this.storage, v2.uploadPartSum(name, uuid, only.offset), signal);
      if (sum && sum.value !== expected.value) throw digestMismatch(expected, sum);
      if (sum) {
        // Same bytes already stored (another push of this blob): nothing to move.
        if (!(await this.blobs.hasOwnData(expected, signal))) await this.storage.move(only.path, v2.blobData(expected), signal);
        return this.blobs.statData(expected, signal);
      }
    }
    const storage = this.storage;
    const concatenated = Readable.from(
      (async function* () {
        for (const part of parts) yield* await storage.reader(part.path, signal ? { signal } : {});
      })(),
    );
    return this.blobs.putVerified(expected, concatenated, signal);
  }

  forget(): void {}

  private async parts(name: string, uuid: string, signal?: AbortSignal): Promise<Part[]> {
    const paths = await listOrEmpty(this.storage, v2.uploadParts(name, uuid), signal);
    return paths.map((path) => ({ path, offset: Number(path.slice(path.lastIndexOf('/') + 1)) })).sort((a, b) => a.offset - b.offset);
  }
}
