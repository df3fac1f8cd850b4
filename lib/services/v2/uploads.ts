/**
 * Blob upload sessions. Everything about a session lives in storage, not in this process:
 * the next PATCH or PUT may reach another worker or another instance. A session exists while
 * its `startedat` does (registry:2's marker); its bytes are kept by an UploadData (one
 * appended file on local disk, one object per chunk elsewhere; see upload-data.ts). A chunk
 * that does not arrive whole leaves the session where it was, ready to resume. Requests of
 * one session are serialised by its lock (the host's, or the instances' in Redis; locks.ts),
 * whose holder is checked again before a chunk or the session's end is committed.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Digest } from '../../checksums/digest.js';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { deleteIfExists, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v2 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';
import { blobLock } from '../store-locks.js';
import type { BlobInfo, BlobStore } from './blobs.js';
import { type ChunkRange, type UploadData, uploadData } from './upload-data.js';

export type { ChunkRange };

export interface MountRequest {
  digest: Digest;
  /** the repository the client says holds the blob; null: any */
  from: string | null;
  /** may the client read the blob from there (null: from anywhere)? Default: yes */
  mayReadFrom?: (from: string | null) => Promise<boolean>;
}

export interface StartOptions {
  mount?: MountRequest | null;
  /** the POST body is the whole blob (`?digest=`) */
  monolithic?: { digest: Digest; body: Readable } | null;
  /** called (and awaited) right before a session is opened; may refuse it by throwing */
  beforeSession?: () => Promise<void>;
}

export type StartResult = { kind: 'created'; digest: Digest } | { kind: 'session'; uuid: string };

export class UploadService {
  private readonly data: UploadData;

  constructor(
    private readonly storage: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly locks: Locks,
  ) {
    this.data = uploadData(storage, blobs);
  }

  /**
   * POST on the uploads of `name`: a cross-repository mount when asked and possible (as
   * distribution's linked blob store does it, `registry/storage/linkedblobstore.go`), else a
   * monolithic upload when the body is the whole blob, else a new session. A mount that cannot
   * be done, for whatever reason, is a plain new session (the client then uploads the blob).
   */
  async start(name: string, options: StartOptions = {}, signal?: AbortSignal): Promise<StartResult> {
    const { mount, monolithic, beforeSession } = options;
    // Data and link under the blob's lock, which `berth gc` takes to delete a blob nothing links.
    if (mount && (await this.locks.run(blobLock(mount.digest), () => this.mount(name, mount, signal)))) {
      return { kind: 'created', digest: mount.digest };
    }
    if (monolithic) {
      await this.locks.run(blobLock(monolithic.digest), async () => {
        await this.blobs.putVerified(monolithic.digest, monolithic.body, signal);
        await this.blobs.link(name, monolithic.digest, signal);
      });
      return { kind: 'created', digest: monolithic.digest };
    }
    await beforeSession?.();
    const uuid = randomUUID();
    await this.storage.putContent(v2.uploadStartedAt(name, uuid), new Date().toISOString(), signal);
    return { kind: 'session', uuid };
  }

  private async mount(name: string, mount: MountRequest, signal?: AbortSignal): Promise<boolean> {
    if (!(await this.mountable(mount, signal))) return false;
    await this.blobs.linkStored(name, mount.digest, signal);
    return true;
  }

  /**
   * The blob exists and may be linked from where the client said it is. Without `from`, any
   * repository's copy will do ("automatic content discovery" of the distribution spec), as far
   * as `mayReadFrom` allows.
   */
  private async mountable(mount: MountRequest, signal?: AbortSignal): Promise<boolean> {
    const { digest, from, mayReadFrom = async () => true } = mount;
    if (!(await mayReadFrom(from))) return false;
    if (from !== null && !(await this.blobs.isLinked(from, digest, signal))) return false;
    return this.blobs.hasData(digest, signal);
  }

  /** Whether the session exists (was started and has not ended or been purged). */
  async exists(name: string, uuid: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.requireSession(name, uuid, signal);
      return true;
    } catch (err) {
      if (err instanceof RegistryError && err.code === V2.BLOB_UPLOAD_UNKNOWN.code) return false;
      throw err;
    }
  }

  /** Bytes received so far; BLOB_UPLOAD_UNKNOWN for a session that does not exist (any more). */
  async offset(name: string, uuid: string, signal?: AbortSignal): Promise<number> {
    await this.requireSession(name, uuid, signal);
    return this.data.offset(name, uuid, signal);
  }

  /** One PATCH: the bytes go on at the current offset. Returns the new offset. */
  append(name: string, uuid: string, body: Readable, range: ChunkRange | null, signal?: AbortSignal): Promise<number> {
    return this.locks.run(`v2-upload:${uuid}`, async (held) => {
      const offset = await this.offset(name, uuid, signal);
      checkRange(range, offset);
      return offset + (await this.data.write(name, uuid, offset, body, range, signal, held.check));
    });
  }

  /** The closing PUT, with an optional last chunk. The blob is linked into `name` on success. */
  complete(name: string, uuid: string, expected: Digest, body: Readable | null, range: ChunkRange | null, signal?: AbortSignal): Promise<BlobInfo> {
    return this.locks.run(`v2-upload:${uuid}`, (held) =>
      this.locks.run(blobLock(expected), async (heldBlob) => {
        const offset = await this.offset(name, uuid, signal);
        let info: BlobInfo;
        if (body && offset === 0 && range === null) {
          // Monolithic: one pass straight into place.
          info = await this.blobs.putVerified(expected, body, signal);
        } else {
          if (body) {
            checkRange(range, offset);
            await this.data.write(name, uuid, offset, body, range, signal, held.check);
          }
          info = await this.data.assemble(name, uuid, expected, signal);
        }
        // The blob under its digest is the same whoever wrote it; the session's end is the commit.
        // gc deletes an unlinked blob under the blob's lock: a lost one must not link it now.
        await held.check();
        await heldBlob.check();
        await this.blobs.link(name, expected, signal);
        await this.end(name, uuid, signal);
        return info;
      }),
    );
  }

  cancel(name: string, uuid: string, signal?: AbortSignal): Promise<void> {
    return this.locks.run(`v2-upload:${uuid}`, async () => {
      await this.requireSession(name, uuid, signal);
      await this.end(name, uuid, signal);
    });
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
