/**
 * The V1 half of `berth gc`'s sweep (gc.ts): images nothing marked go, a batch at a time, each
 * checked again under its push lock; their JSON waits in `berth/gc/json/` while the tags are
 * read again, and comes back when a tag written meanwhile reaches the image.
 */

import { type Digest, parseDigest } from '../checksums/digest.js';
import type { Locks } from '../services/host-lock.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';
import { berth, bridge } from '../storage/paths.js';
import type { Marks } from './gc-mark.js';
import { baseName, readOrNull, v1ImageIds, v1Tags } from './store-walk.js';

/** V1 candidates whose JSON is set aside before the tags are read again */
const IMAGE_BATCH = 256;
const IMAGE_ID = /^[a-f0-9]{64}$/;
const SET_ASIDE = berth.gcSetAside;
const setAside = berth.gcSetAsideJson;

export interface V1SweepContext {
  storage: StorageDriver;
  marks: Marks;
  dry: boolean;
  locks: Locks;
  /** under the lock for real, without it in a dry run */
  locked<T>(key: string, work: () => Promise<T>): Promise<T>;
  signal?: AbortSignal | undefined;
  onItem?: ((what: string) => void) | undefined;
  spared(): void;
  swept(id: string, bytes: number): void;
}

export class V1Sweep {
  constructor(private readonly c: V1SweepContext) {}

  /** JSON a run that was killed had set aside goes back to its image (the next steps judge it again). */
  async putBackSetAside(): Promise<void> {
    for (const file of await listOrEmpty(this.c.storage, SET_ASIDE, this.c.signal)) {
      const id = baseName(file);
      if (IMAGE_ID.test(id)) await this.c.locks.run(id, () => this.putBack(id));
      else await deleteIfExists(this.c.storage, file, this.c.signal);
    }
  }

  /** A set-aside JSON back in its image, unless the image is gone or was pushed again meanwhile (its own JSON wins). */
  private async putBack(id: string): Promise<void> {
    const files = (await listOrEmpty(this.c.storage, `images/${id}`, this.c.signal)).map(baseName);
    if (files.length > 0 && !files.includes('json')) await this.c.storage.move(setAside(id), `images/${id}/json`, this.c.signal);
    else await deleteIfExists(this.c.storage, setAside(id), this.c.signal);
  }

  /**
   * V1 images nothing marked, a batch at a time: each is checked again under its push lock and
   * its JSON set aside (a tag PUT, which takes the same lock, then finds no image); then the
   * tags are read again, and what a tag written meanwhile reaches gets its JSON back. The rest
   * goes.
   */
  async sweep(): Promise<void> {
    let batch: Array<{ id: string; json: number | null }> = [];
    for await (const id of v1ImageIds(this.c.storage, this.c.signal)) {
      this.c.onItem?.(`images/${id}`);
      if (this.c.marks.v1.has(id) || !IMAGE_ID.test(id)) continue; // a stray name is not an image: left alone
      await this.c.locked(id, async () => {
        if (await this.c.marks.imageIsLive(id)) {
          this.c.spared();
          return;
        }
        const json = await this.c.storage.stat(`images/${id}/json`, this.c.signal).then(
          (s) => s.size,
          (err) => (isNotFound(err) ? null : Promise.reject(err)),
        );
        if (json !== null && !this.c.dry) await this.c.storage.move(`images/${id}/json`, setAside(id), this.c.signal);
        batch.push({ id, json });
      });
      if (batch.length >= IMAGE_BATCH) {
        await this.settleImages(batch);
        batch = [];
      }
    }
    await this.settleImages(batch);
  }

  private async settleImages(batch: Array<{ id: string; json: number | null }>): Promise<void> {
    if (batch.length === 0) return;
    for await (const tag of v1Tags(this.c.storage, this.c.signal)) if (IMAGE_ID.test(tag.id)) await this.c.marks.markImage(tag.id);
    for (const { id, json } of batch) {
      if (this.c.marks.v1.has(id)) {
        if (json !== null && !this.c.dry) await this.c.locked(id, () => this.putBack(id));
        this.c.spared();
        continue;
      }
      await this.c.locked(id, async () => {
        const files = await listOrEmpty(this.c.storage, `images/${id}`, this.c.signal);
        if (!this.c.dry && files.some((f) => baseName(f) === 'json')) {
          // pushed again meanwhile (its JSON PUT found none): the new push owns it now
          await deleteIfExists(this.c.storage, setAside(id), this.c.signal);
          this.c.spared();
          return;
        }
        const sizes = await Promise.all(
          files.map((f) =>
            this.c.storage.stat(f, this.c.signal).then(
              (s) => s.size,
              () => 0,
            ),
          ),
        );
        const bytes = sizes.reduce((a, b) => a + b, 0) + (this.c.dry ? 0 : (json ?? 0));
        if (!this.c.dry) {
          const facts = await readOrNull(this.c.storage, bridge.layerFacts(id), this.c.signal).catch(() => null);
          await deleteIfExists(this.c.storage, `images/${id}`, this.c.signal);
          await deleteIfExists(this.c.storage, setAside(id), this.c.signal);
          await this.dropBridgeRecords(id, facts);
        }
        this.c.swept(id, bytes);
      });
    }
  }

  /** The bridge's records of a V1 image that is gone: its layer facts, its V2 blob record, the alias naming it. */
  private async dropBridgeRecords(id: string, facts: Buffer | null): Promise<void> {
    if (!IMAGE_ID.test(id)) return;
    await deleteIfExists(this.c.storage, bridge.layerFacts(id), this.c.signal);
    await deleteIfExists(this.c.storage, bridge.v1Layer(id), this.c.signal);
    let digest: Digest | null = null;
    try {
      digest = parseDigest((JSON.parse(facts?.toString('utf8') ?? 'null') as { blob?: { digest?: string } } | null)?.blob?.digest);
    } catch {
      // no facts, or not JSON: no alias to look for
    }
    if (!digest) return;
    const alias = bridge.blobAlias(digest);
    if ((await readOrNull(this.c.storage, alias, this.c.signal))?.toString('utf8').trim() === id) await deleteIfExists(this.c.storage, alias, this.c.signal);
  }
}
