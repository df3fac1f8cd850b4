/**
 * Content-addressed blobs and the links that make them visible in a repository (the
 * registry:2 "linked blob store"). Data is written once under its digest and only after the
 * bytes matched; a repository sees a blob only through its `_layers` link, which is written
 * after the data, so a reader never follows a link to nothing.
 */

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type Digest, fromHash, parseDigest } from '../../checksums/digest.js';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { deleteIfExists, pipeTapped, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { berth, v2 } from '../../storage/paths.js';
import { type StoredObject, storedObject } from '../stored-object.js';
import type { V2Hooks } from './hooks.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

export class BlobStore {
  constructor(
    readonly storage: StorageDriver,
    private readonly hooks: V2Hooks = {},
  ) {}

  /** Size of a blob the repository may serve; BLOB_UNKNOWN otherwise. */
  async stat(name: string, digest: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    if (!(await this.isLinked(name, digest, signal))) throw blobUnknown(digest);
    return this.statData(digest, signal);
  }

  async isLinked(name: string, digest: Digest, signal?: AbortSignal): Promise<boolean> {
    return readLink(this.storage, v2.layerLink(name, digest), signal).then((d) => d?.value === digest.value);
  }

  /** The data itself, whatever repository links it. */
  async statData(digest: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    const found = await this.locate(digest, signal);
    if (!found) throw blobUnknown(digest);
    return { digest, size: found.size };
  }

  async hasData(digest: Digest, signal?: AbortSignal): Promise<boolean> {
    return (await this.locate(digest, signal)) !== null;
  }

  /**
   * Whether the bytes are under the blob's own key, verified when they were stored (an alias
   * only says where another object holds them): an upload that finds none stores its own.
   */
  async hasOwnData(digest: Digest, signal?: AbortSignal): Promise<boolean> {
    return (await this.sizeOf(v2.blobData(digest), signal)) !== null;
  }

  /** The bytes of a blob, wherever they are, whatever repository links it. */
  async openData(digest: Digest, signal?: AbortSignal): Promise<Readable> {
    const found = await this.locate(digest, signal);
    if (!found) throw blobUnknown(digest);
    return this.storage.reader(found.key, signal ? { signal } : {});
  }

  /**
   * Where a blob's bytes are: under its own key, or (a blob whose bytes another object holds,
   * such as a V1 layer the bridge shows to V2) where the alias hook says. Only a miss asks the hook.
   */
  async locate(digest: Digest, signal?: AbortSignal): Promise<{ key: string; size: number } | null> {
    const own = await this.sizeOf(v2.blobData(digest), signal);
    if (own !== null) return { key: v2.blobData(digest), size: own };
    const alias = await this.hooks.blobAlias?.(digest);
    if (!alias) return null;
    const size = await this.sizeOf(alias, signal);
    return size === null ? null : { key: alias, size };
  }

  private async sizeOf(key: string, signal?: AbortSignal): Promise<number | null> {
    try {
      return (await this.storage.stat(key, signal)).size;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** A blob the repository may serve, to be sent as it is; BLOB_UNKNOWN otherwise. */
  async source(name: string, digest: Digest, signal?: AbortSignal): Promise<StoredObject> {
    if (!(await this.isLinked(name, digest, signal))) throw blobUnknown(digest);
    const found = await this.locate(digest, signal);
    if (!found) throw blobUnknown(digest);
    return storedObject(this.storage, found.key, found.size);
  }

  async link(name: string, digest: Digest, signal?: AbortSignal): Promise<void> {
    await this.storage.putContent(v2.layerLink(name, digest), digest.value, signal);
  }

  /**
   * Link a blob that is already stored into another repository (a mount, the bridge), under the
   * blob's lock: the stamp tells a `berth gc` that started earlier that the blob is in use again.
   */
  async linkStored(name: string, digest: Digest, signal?: AbortSignal): Promise<void> {
    await this.link(name, digest, signal);
    await this.stampLinked(digest, signal);
  }

  /** The stamp a `berth gc` that started earlier reads as "in use again" (maintenance/gc.ts). */
  protected async stampLinked(digest: Digest, signal?: AbortSignal): Promise<void> {
    await this.storage.putContent(berth.gcLinked(digest), '', signal);
  }

  /** Remove the repository's link; the data stays until garbage collection (it may be shared). */
  async unlink(name: string, digest: Digest, signal?: AbortSignal): Promise<void> {
    if (!(await this.isLinked(name, digest, signal))) throw blobUnknown(digest);
    // A concurrent DELETE may have removed it between the check and here: then it is unknown.
    if (!(await deleteIfExists(this.storage, v2.layerLink(name, digest).replace(/\/link$/, ''), signal))) throw blobUnknown(digest);
  }

  /**
   * Stream `source` straight to the blob's final key, hashing on the way; it becomes visible
   * only if the bytes match `expected`. A mismatch or a cut-off body stores nothing.
   */
  async putVerified(expected: Digest, source: Readable, signal?: AbortSignal): Promise<BlobInfo> {
    const writer = await this.storage.writer(v2.blobData(expected), signal);
    const hash = createHash(expected.algorithm);
    let size = 0;
    try {
      await pipeTapped(
        source,
        writer.stream,
        (chunk) => {
          hash.update(chunk);
          size += chunk.length;
        },
        signal,
      );
      const actual = fromHash(expected.algorithm, hash);
      if (actual.value !== expected.value) throw digestMismatch(expected, actual);
      await writer.commit();
      return { digest: expected, size };
    } catch (err) {
      await writer.cancel();
      throw err;
    }
  }

  /** Small content (manifests): written whole under its own digest. */
  async putSmall(digest: Digest, data: Buffer, signal?: AbortSignal): Promise<void> {
    await this.storage.putContent(v2.blobData(digest), data, signal);
  }

  async getSmall(digest: Digest, signal?: AbortSignal): Promise<Buffer> {
    return this.storage.getContent(v2.blobData(digest), signal);
  }
}

/** A registry:2 link file: the digest as text. Missing or unreadable → null. */
export async function readLink(storage: StorageDriver, path: string, signal?: AbortSignal): Promise<Digest | null> {
  try {
    return parseDigest((await storage.getContent(path, signal)).toString('utf8').trim());
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

export function blobUnknown(digest: Digest): RegistryError {
  return new RegistryError(V2.BLOB_UNKNOWN, { detail: { digest: digest.value } });
}

export function digestMismatch(expected: Digest, actual: Digest): RegistryError {
  return new RegistryError(V2.DIGEST_INVALID, { detail: { expected: expected.value, actual: actual.value } });
}
