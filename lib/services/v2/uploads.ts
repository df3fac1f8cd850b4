/**
 * Blob upload sessions. Everything about a session lives in storage, not in this process:
 * the next PATCH or PUT may reach another worker or another instance. A session exists while
 * its `startedat` does (registry:2's marker); its bytes are kept by an UploadData (one
 * appended file on local disk, one object per chunk elsewhere; see upload-data.ts). A chunk
 * that does not arrive whole leaves the session where it was, ready to resume. Requests of
 * one session are serialised across the worker processes of a host.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Digest } from '../../checksums/digest.js';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v2 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';
import type { BlobInfo, BlobStore } from './blobs.js';
import { walkRepositories } from './repository-walk.js';
import { type ChunkRange, type UploadData, uploadData } from './upload-data.js';

export type { ChunkRange };

export class UploadService {
  private readonly data: UploadData;

  constructor(
    private readonly storage: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly locks: Locks,
  ) {
    this.data = uploadData(storage, blobs);
  }

  async start(name: string, signal?: AbortSignal): Promise<string> {
    const uuid = randomUUID();
    await this.storage.putContent(v2.uploadStartedAt(name, uuid), new Date().toISOString(), signal);
    return uuid;
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN for a session that does not exist (any more). */
  async offset(name: string, uuid: string, signal?: AbortSignal): Promise<number> {
    await this.requireSession(name, uuid, signal);
    return this.data.offset(name, uuid, signal);
  }

  /** One PATCH: the bytes go on at the current offset. Returns the new offset. */
  append(name: string, uuid: string, body: Readable, range: ChunkRange | null, signal?: AbortSignal): Promise<number> {
    return this.locks.run(`v2-upload:${uuid}`, async () => {
      const offset = await this.offset(name, uuid, signal);
      checkRange(range, offset);
      return offset + (await this.data.write(name, uuid, offset, body, range, signal));
    });
  }

  /** The closing PUT, with an optional last chunk. The blob is linked into `name` on success. */
  complete(name: string, uuid: string, expected: Digest, body: Readable | null, range: ChunkRange | null, signal?: AbortSignal): Promise<BlobInfo> {
    return this.locks.run(`v2-upload:${uuid}`, async () => {
      const offset = await this.offset(name, uuid, signal);
      let info: BlobInfo;
      if (body && offset === 0 && range === null) {
        // Monolithic: one pass straight into place.
        info = await this.blobs.putVerified(expected, body, signal);
      } else {
        if (body) {
          checkRange(range, offset);
          await this.data.write(name, uuid, offset, body, range, signal);
        }
        info = await this.data.assemble(name, uuid, expected, signal);
      }
      await this.blobs.link(name, expected, signal);
      await this.end(name, uuid, signal);
      return info;
    });
  }

  cancel(name: string, uuid: string, signal?: AbortSignal): Promise<void> {
    return this.locks.run(`v2-upload:${uuid}`, async () => {
      await this.requireSession(name, uuid, signal);
      await this.end(name, uuid, signal);
    });
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
          if (!dryRun) await deleteIfExists(this.storage, dir, signal);
          purged.push(`${repo.name}/${uuid}`);
        }
      }
    }
    return purged;
  }

  private async end(name: string, uuid: string, signal?: AbortSignal): Promise<void> {
    this.data.forget(name, uuid);
    await deleteIfExists(this.storage, v2.upload(name, uuid), signal);
  }

  private async requireSession(name: string, uuid: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.storage.stat(v2.uploadStartedAt(name, uuid), signal);
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(V2.BLOB_UPLOAD_UNKNOWN, { detail: { uuid } });
      throw err;
    }
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
