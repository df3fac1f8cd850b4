/**
 * The pull-through cache's own small records (lib/storage/paths.ts `mirror`): per tag, the
 * digest the upstream gave and when it was last checked; per fetched blob, its size and when
 * it was last pulled (what eviction weighs). Storage holds them, so every worker and a restart
 * agree; a pull touches a blob's record at most once a minute per process. A blob also stored
 * or linked here by a push or a mount (allow_push) is marked local instead, for good: eviction
 * never takes it, and a fetch that ends after the push does not make it a fetched one again.
 * A blob's record is written under its blob lock (services/store-locks.ts), as its links are.
 */
import { type Digest, parseDigest } from '../checksums/digest.js';
import type { Locks } from '../services/locks.js';
import { blobLock } from '../services/store-locks.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';
import { mirror } from '../storage/paths.js';

export interface TagCheck {
  digest: Digest;
  /** ms since the epoch */
  checked: number;
}

export interface BlobRecord {
  digest: Digest;
  size: number;
  /** ms since the epoch */
  pulled: number;
  /** pushed or mounted here as well: never evicted */
  local: boolean;
}

const TOUCH_EVERY_MS = 60_000;

export class MirrorRecords {
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly storage: StorageDriver,
    private readonly locks: Locks,
  ) {}

  async tag(name: string, tag: string): Promise<TagCheck | null> {
    const doc = await this.read(mirror.tag(name, tag));
    const digest = parseDigest(typeof doc?.digest === 'string' ? doc.digest : null);
    return digest && typeof doc?.checked === 'number' ? { digest, checked: doc.checked } : null;
  }

  async setTag(name: string, tag: string, digest: Digest, checked = Date.now()): Promise<void> {
    await this.storage.putContent(mirror.tag(name, tag), JSON.stringify({ digest: digest.value, checked }));
  }

  async blob(digest: Digest): Promise<BlobRecord | null> {
    const doc = await this.read(mirror.blob(digest));
    if (doc?.local === true) return { digest, size: 0, pulled: 0, local: true };
    return typeof doc?.size === 'number' && typeof doc.pulled === 'number' ? { digest, size: doc.size, pulled: doc.pulled, local: false } : null;
  }

  /** A fetched blob (caller holds its blob lock); one marked local stays local. */
  async setBlob(digest: Digest, size: number, pulled = Date.now()): Promise<void> {
    if ((await this.blob(digest))?.local) return;
    this.touched.set(digest.value, pulled);
    await this.storage.putContent(mirror.blob(digest), JSON.stringify({ size, pulled }));
  }

  /** A blob pushed or mounted here (caller holds its blob lock): eviction leaves it alone. */
  async markLocal(digest: Digest, signal?: AbortSignal): Promise<void> {
    this.touched.delete(digest.value);
    await this.storage.putContent(mirror.blob(digest), JSON.stringify({ local: true }), signal);
  }

  /** A pull of a blob this cache fetched: its record says so (throttled); blobs without a record, or local, are left alone. */
  async touch(digest: Digest): Promise<void> {
    const now = Date.now();
    if (now - (this.touched.get(digest.value) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(digest.value, now);
    if (this.touched.size > 100_000) this.touched.clear();
    await this.locks.run(blobLock(digest), async () => {
      const record = await this.blob(digest);
      if (record && !record.local) await this.setBlob(digest, record.size, now);
    });
  }

  /** Every blob's record, fetched or local. */
  async blobs(): Promise<BlobRecord[]> {
    const out: BlobRecord[] = [];
    for (const algorithm of await listOrEmpty(this.storage, mirror.blobs)) {
      for (const key of await listOrEmpty(this.storage, algorithm)) {
        const digest = parseDigest(key.slice(mirror.blobs.length + 1).replace('/', ':'));
        const record = digest ? await this.blob(digest) : null;
        if (record) out.push(record);
      }
    }
    return out;
  }

  async forgetBlob(digest: Digest): Promise<void> {
    this.touched.delete(digest.value);
    await deleteIfExists(this.storage, mirror.blob(digest));
  }

  private async read(key: string): Promise<Record<string, unknown> | null> {
    try {
      const doc = JSON.parse((await this.storage.getContent(key)).toString('utf8'));
      return doc && typeof doc === 'object' ? doc : null;
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return null;
      throw err;
    }
  }
}
