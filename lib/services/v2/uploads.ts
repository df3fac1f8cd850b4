/**
 * Blob upload sessions. Everything about a session lives in storage, not in this process:
 * the next PATCH or PUT may reach another worker or another instance. Each PATCH becomes one
 * part object named by its start offset (committed only when all its bytes arrived, so a
 * dropped connection leaves the session at the previous offset, ready to resume) plus the
 * sha256 of that part. On completion a single part whose sum matches is moved into place
 * (a rename on local disk); otherwise the parts are streamed, in order, through the hash
 * into the blob's final key, which becomes visible only if the digest matches.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { listOrEmpty, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v2 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';
import { type BlobInfo, type BlobStore, digestMismatch, readLink } from './blobs.js';
import { type Digest, DigestingStream } from './digest.js';
import { walkRepositories } from './repository-walk.js';

/** An inclusive byte range from `Content-Range: <start>-<end>`. */
export interface ChunkRange {
  start: number;
  end: number;
}

interface Part {
  offset: number;
  path: string;
}

export class UploadService {
  constructor(
    private readonly storage: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly locks: Locks,
  ) {}

  async start(name: string, signal?: AbortSignal): Promise<string> {
    const uuid = randomUUID();
    await this.storage.putContent(v2.uploadStartedAt(name, uuid), new Date().toISOString(), signal);
    return uuid;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN for a session that does not exist (any more). */
  async offset(name: string, uuid: string, signal?: AbortSignal): Promise<number> {
    const parts = await this.parts(name, uuid, signal);
    return this.endOf(parts, signal);
  }

  /** One PATCH: the bytes go to a new part at the current offset. Returns the new offset. */
  append(name: string, uuid: string, body: Readable, range: ChunkRange | null, signal?: AbortSignal): Promise<number> {
    return this.locks.run(`v2-upload:${uuid}`, async () => {
      const offset = await this.offset(name, uuid, signal);
      checkRange(range, offset);
      return offset + (await this.writePart(name, uuid, offset, body, range, signal));
    });
  }

  /** The closing PUT, with an optional last chunk. The blob is linked into `name` on success. */
  complete(name: string, uuid: string, expected: Digest, body: Readable | null, range: ChunkRange | null, signal?: AbortSignal): Promise<BlobInfo> {
    return this.locks.run(`v2-upload:${uuid}`, async () => {
      let parts = await this.parts(name, uuid, signal);
      let info: BlobInfo;
      if (body && parts.length === 0 && range === null) {
        // Monolithic: one pass straight into place.
        info = await this.blobs.putVerified(expected, body, signal);
      } else {
        if (body) {
          const offset = await this.endOf(parts, signal);
          checkRange(range, offset);
          await this.writePart(name, uuid, offset, body, range, signal);
          parts = await this.parts(name, uuid, signal);
        }
        info = await this.assemble(name, uuid, parts, expected, signal);
      }
      await this.blobs.link(name, expected, signal);
      await this.storage.delete(v2.upload(name, uuid), signal);
      return info;
    });
  }

  async cancel(name: string, uuid: string, signal?: AbortSignal): Promise<void> {
    await this.parts(name, uuid, signal);
    await this.storage.delete(v2.upload(name, uuid), signal);
  }

  /**
   * Delete sessions started more than `maxAgeMs` ago (or with no readable start time).
   * Returns the `<name>/<uuid>` of each; with `dryRun` nothing is deleted.
   */
  async purge(maxAgeMs: number, options: { now?: number; dryRun?: boolean; signal?: AbortSignal } = {}): Promise<string[]> {
    const { now = Date.now(), dryRun = false, signal } = options;
    const purged: string[] = [];
    for await (const repo of walkRepositories(this.storage, signal)) {
      if (!repo.parts.has('_uploads')) continue;
      for (const dir of await listOrEmpty(this.storage, v2.uploads(repo.name), signal)) {
        const uuid = dir.slice(dir.lastIndexOf('/') + 1);
        const started = await this.storage.getContent(v2.uploadStartedAt(repo.name, uuid), signal).then(
          (b) => Date.parse(b.toString('utf8').trim()),
          () => Number.NaN,
        );
        if (Number.isNaN(started) || now - started > maxAgeMs) {
          if (!dryRun) await this.storage.delete(dir, signal);
          purged.push(`${repo.name}/${uuid}`);
        }
      }
    }
    return purged;
  }

  private async assemble(name: string, uuid: string, parts: Part[], expected: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    const only = parts.length === 1 ? (parts[0] as Part) : null;
    if (only && expected.algorithm === 'sha256') {
      const sum = await readLink(this.storage, v2.uploadPartSum(name, uuid, only.offset), signal);
      if (sum && sum.value !== expected.value) throw digestMismatch(expected, sum);
      if (sum) {
        // Same bytes already stored (another push of this blob): nothing to move.
        if (!(await this.blobs.hasData(expected, signal))) await this.storage.move(only.path, v2.blobData(expected), signal);
        return this.blobs.statData(expected, signal);
      }
    }
    return this.blobs.putVerified(expected, this.concatenate(parts, signal), signal);
  }

  private concatenate(parts: Part[], signal?: AbortSignal): Readable {
    const storage = this.storage;
    return Readable.from(
      (async function* () {
        for (const part of parts) yield* await storage.reader(part.path, signal ? { signal } : {});
      })(),
    );
  }

  private async writePart(name: string, uuid: string, offset: number, body: Readable, range: ChunkRange | null, signal?: AbortSignal): Promise<number> {
    const writer = await this.storage.writer(v2.uploadPart(name, uuid, offset), signal);
    const hashing = new DigestingStream('sha256');
    try {
      await pipeline(body, hashing, writer.stream, signal ? { signal } : {});
      if (range && hashing.size !== range.end - range.start + 1) {
        throw new RegistryError(V2.SIZE_INVALID, { detail: { range: `${range.start}-${range.end}`, received: hashing.size } });
      }
      if (hashing.size === 0) {
        await writer.cancel();
        return 0;
      }
      await writer.commit();
    } catch (err) {
      await writer.cancel();
      throw err;
    }
    await this.storage.putContent(v2.uploadPartSum(name, uuid, offset), hashing.digest().value, signal);
    return hashing.size;
  }

  private async parts(name: string, uuid: string, signal?: AbortSignal): Promise<Part[]> {
    try {
      await this.storage.stat(v2.uploadStartedAt(name, uuid), signal);
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(V2.BLOB_UPLOAD_UNKNOWN, { detail: { uuid } });
      throw err;
    }
    const paths = await listOrEmpty(this.storage, v2.uploadParts(name, uuid), signal);
    return paths.map((path) => ({ path, offset: Number(path.slice(path.lastIndexOf('/') + 1)) })).sort((a, b) => a.offset - b.offset);
  }

  private async endOf(parts: Part[], signal?: AbortSignal): Promise<number> {
    const last = parts.at(-1);
    if (!last) return 0;
    return last.offset + (await this.storage.stat(last.path, signal)).size;
  }
}

/** Chunks must arrive in order: the next one starts exactly where the session stands. */
function checkRange(range: ChunkRange | null, offset: number): void {
  if (range && range.start !== offset) {
    throw new RegistryError(V2.RANGE_INVALID, {
      message: `chunk starts at ${range.start}, but the upload stands at ${offset}`,
      headers: { Range: rangeHeader(offset) },
    });
  }
}

/** `Range: 0-<last byte>` as distribution and the OCI spec write it (`0-0` when nothing arrived). */
export function rangeHeader(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}
