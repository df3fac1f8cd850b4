/**
 * An object a route may send as it is (a V1 layer, a V2 blob): its size, and the three ways
 * to send it (nginx reads the file itself, the object store hands out a URL, or Berth streams
 * it). The service that found it decides which object it is; the route decides how to send it.
 */
import type { Readable } from 'node:stream';
import type { LocalFile, StorageDriver } from '../storage/driver.js';

export interface StoredObject {
  size: number;
  /** its key under the storage root, when storage serves plain local files (X-Accel-Redirect); else null */
  localKey: string | null;
  /** a URL the client may fetch it from directly, or null to stream it (also when the store cannot make one) */
  redirectUrl(): Promise<string | null>;
  reader(range: { offset: number; length: number }, signal?: AbortSignal): Promise<Readable>;
  /** its file opened for sending directly (local storage), or null: use reader() */
  openFile: (() => Promise<LocalFile>) | null;
}

export function storedObject(storage: StorageDriver, key: string, size: number): StoredObject {
  return {
    size,
    localKey: storage.capabilities.localFiles ? key : null,
    redirectUrl: () => storage.redirectUrl(key).catch(() => null),
    reader: (range, signal) => storage.reader(key, { ...range, ...(signal ? { signal } : {}) }),
    openFile: storage.openFile ? () => (storage.openFile as NonNullable<StorageDriver['openFile']>)(key) : null,
  };
}
