/**
 * The V1 ⇄ V2 bridge: one image, both protocols. A tag written over V1 is shown to V2 clients
 * (v2-view.ts), a tag written over V2 to V1 clients (v1-view.ts). The V1 and V2 services know
 * nothing of it: they call the hooks it fills in (services/v1/hooks.ts, services/v2/hooks.ts).
 *
 * How a tag write crosses over:
 * 1. The protocol's own write, the bridge's record of it (tag-records.ts) and the removal of
 *    the other side's tag happen together, under one lock per tag: the record decides every
 *    race, so concurrent pushes from both sides end with both sides showing the last one.
 * 2. The other side is written in the background (a V1 layer's DiffID needs the whole layer
 *    decompressed, which must not hold up the push). Until it is, that side's tag is absent,
 *    and a client that asks for it waits for it (`settle`) rather than seeing nothing or the
 *    old image; a restart finishes what a stopped process left pending (`resume`).
 * An image that has no form in the other protocol (an artifact, a zstd layer, a V1 name V2
 * cannot spell…) is simply not shown there; the reason is logged once and kept in the record.
 */
import { setTimeout } from 'node:timers/promises';
import type { Platform } from '../../bridge/v2-manifest.js';
import { type Digest, parseDigest } from '../../checksums/digest.js';
import type { Logger } from '../../logging/logger.js';
import type { RepositoryName } from '../../names/v1.js';
import type { StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { bridge, v1 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';
import type { V1Hooks } from '../v1/hooks.js';
import type { ImageService } from '../v1/images.js';
import type { IndexImagesService } from '../v1/index-images.js';
import type { TagService } from '../v1/tags.js';
import type { BlobStore } from '../v2/blobs.js';
import type { V2Hooks } from '../v2/hooks.js';
import type { ManifestService } from '../v2/manifests.js';
import { LayerFactsStore } from './layer-facts-store.js';
import { recordKeyOf, v1NameOf, v2NamesOf } from './names.js';
import { sameWrite, type TagRecord, TagRecords } from './tag-records.js';
import { V1View } from './v1-view.js';
import { V2View } from './v2-view.js';

export interface BridgeDeps {
  storage: StorageDriver;
  locks: Locks;
  log: Logger;
  platform: Platform;
  v1: { images: ImageService; tags: TagService; index: IndexImagesService };
  v2: { blobs: BlobStore; manifests: ManifestService };
}

export interface SyncOutcome {
  key: string;
  tag: string;
  state: TagRecord['state'] | 'superseded';
  reason?: string;
}

export class BridgeService {
  readonly facts: LayerFactsStore;
  readonly records: TagRecords;
  private readonly v2view: V2View;
  private readonly v1view: V1View;
  private readonly storage: StorageDriver;
  private readonly locks: Locks;
  private readonly log: Logger;
  /** syncs running in this process, by `key:tag` */
  private readonly running = new Map<string, Promise<SyncOutcome>>();
  /** what was logged as not bridgeable, so each reason is logged once */
  private readonly told = new Set<string>();

  constructor(deps: BridgeDeps) {
    this.storage = deps.storage;
    this.locks = deps.locks;
    this.log = deps.log;
    // The facts of an image the bridge made come from the V2 blob it names (a V1 tag may name one).
    this.facts = new LayerFactsStore(deps.storage, deps.locks, deps.log, (id) => this.v1view.layerOf(id));
    this.records = new TagRecords(deps.storage);
    this.v2view = new V2View(deps.storage, this.facts, deps.v2.blobs, deps.v2.manifests, deps.locks);
    this.v1view = new V1View(deps.storage, deps.v2.blobs, deps.v2.manifests, deps.v1.images, deps.v1.tags, deps.v1.index, deps.platform, this.facts);
  }

  v1Hooks(): V1Hooks {
    return {
      imageComplete: (id) => {
        // Learn the layer's facts now, so that the tag that follows finds them ready.
        this.facts.ensure(id).catch((err) => this.log.warn({ err, id }, 'bridge: could not read the layer of a V1 image'));
      },
      tagWrite: async (name, tag, id, write) => {
        const names = v2NamesOf(name);
        if (names.length === 0) return write(); // no V2 spelling: V1 only
        const key = names[0] as string;
        const busy = this.facts.busy;
        const { synced } = await this.recordWrite(key, tag, { source: 'v1', v2name: key, target: id }, write, () => this.v2view.remove(names, tag));
        // With every layer's facts known (nothing being read now), the V2 view is a few small
        // writes: made before the tag PUT answers, so a V2 client that asks next finds it at
        // once. A layer still being read (a large one, just pushed) would hold the push up for
        // seconds: then the view follows in the background, as for V2 pushes.
        if (!busy) await Promise.race([synced, setTimeout(INLINE_SYNC_MS)]);
      },
      settle: (name, tag) => {
        const key = v2NamesOf(name)[0];
        return key ? this.settle(key, tag) : Promise.resolve();
      },
      layerOf: (id) => this.v1view.layerOf(id),
    };
  }

  v2Hooks(): V2Hooks {
    return {
      tagWrite: async (name, tag, digest, write) => {
        const key = recordKeyOf(name);
        await this.recordWrite(key, tag, { source: 'v2', v2name: name, target: digest?.value ?? null }, write, () => this.v1view.remove(v1NameOf(name), tag));
      },
      settle: (name, tag) => this.settle(recordKeyOf(name), tag),
      blobAlias: async (digest: Digest) => {
        try {
          return v1.imageLayer((await this.storage.getContent(bridge.blobAlias(digest))).toString('utf8').trim());
        } catch (err) {
          if (isNotFound(err)) return null;
          throw err;
        }
      },
      alternates: (name, tag, digest) => this.v2view.alternates(name, tag, digest),
    };
  }

  /**
   * A tag write on one side: the write itself, the record that it is the last, and the other
   * side's tag taken away until the sync shows this write there. Then the sync, in the
   * background: `synced` is its end (never a rejection; a failure is logged).
   */
  private async recordWrite(
    key: string,
    tag: string,
    change: Pick<TagRecord, 'source' | 'v2name' | 'target'>,
    write: () => Promise<void>,
    hideOtherSide: () => Promise<void>,
  ): Promise<{ synced: Promise<void> }> {
    await this.locks.run(tagLock(key, tag), async () => {
      await write();
      await this.records.write(key, tag, change);
      await hideOtherSide();
    });
    const synced = this.sync(key, tag).then(
      () => {},
      (err) => this.log.error({ err, key, tag }, 'bridge: sync failed; it is retried when the tag is next read or at the next start'),
    );
    return { synced };
  }

  /** Show a pending tag on the other side; a sync already running for it is joined. */
  sync(key: string, tag: string): Promise<SyncOutcome> {
    const id = `${key}:${tag}`;
    let running = this.running.get(id);
    if (!running) {
      running = this.runSync(key, tag).finally(() => this.running.delete(id));
      this.running.set(id, running);
    }
    return running;
  }

  /** Until the record is no longer pending: a record replaced while its sync prepared is taken up again at once. */
  private async runSync(key: string, tag: string): Promise<SyncOutcome> {
    for (;;) {
      const record = await this.records.get(key, tag);
      if (record?.state !== 'pending') return { key, tag, state: record?.state ?? 'done' };
      // The slow part (layers read, checksums computed) before the lock; the writes under it,
      // and only if the record is still the one prepared for.
      const prepared = await this.prepare(record, tag);
      const outcome = await this.locks.run(tagLock(key, tag), async (): Promise<SyncOutcome> => {
        const now = await this.records.get(key, tag);
        if (!now || !sameWrite(now, record) || now.state !== 'pending') return { key, tag, state: 'superseded' };
        if (!prepared.ok) {
          await this.records.put(key, tag, { ...now, state: 'not-bridgeable', reason: prepared.reason });
          this.tellOnce(key, tag, record, prepared.reason);
          return { key, tag, state: 'not-bridgeable', reason: prepared.reason };
        }
        // Something the view was prepared from changed meanwhile (see V1View.write): prepare again.
        if (!(await prepared.write())) return { key, tag, state: 'superseded' };
        await this.records.put(key, tag, { ...now, state: 'done' });
        return { key, tag, state: 'done' };
      });
      if (outcome.state !== 'superseded') return outcome;
    }
  }

  /** What the other side must show for this record, read and computed; the write itself comes later, under the lock. */
  private async prepare(record: TagRecord, tag: string): Promise<{ ok: true; write: () => Promise<boolean> } | { ok: false; reason: string }> {
    const v1name = v1NameOf(record.v2name);
    if (record.source === 'v1') {
      const names = v2NamesOf(v1name);
      if (record.target === null) return { ok: true, write: () => this.v2view.remove(names, tag).then(() => true) };
      const view = await this.v2view.prepare(record.target);
      return view.ok ? { ok: true, write: () => this.v2view.write(names, tag, view.view).then(() => true) } : view;
    }
    const digest = parseDigest(record.target);
    if (!digest) return { ok: true, write: () => this.v1view.remove(v1name, tag).then(() => true) };
    const view = await this.v1view.prepare(record.v2name, digest);
    return view.ok ? { ok: true, write: async () => (await this.v1view.write(v1name, tag, view.view)) !== null } : view;
  }

  /** Resolves once no sync and no layer reading of this process is running (for a drain, and for tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.facts.busy) {
      await Promise.allSettled([...this.running.values(), this.facts.settled()]);
    }
  }

  /** Let every pending write of a tag (or of every tag of a repository) land before a read. */
  async settle(key: string, tag?: string): Promise<void> {
    const tags = tag === undefined ? await this.records.pending(key) : (await this.isPending(key, tag)) ? [tag] : [];
    for (const t of tags) await this.sync(key, t);
  }

  private async isPending(key: string, tag: string): Promise<boolean> {
    try {
      await this.storage.stat(bridge.pendingTag(key, tag));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** Finish what a stopped process left pending (at start, and by scripts/bridge-sync). */
  async resume(signal?: AbortSignal): Promise<SyncOutcome[]> {
    const outcomes: SyncOutcome[] = [];
    for await (const key of this.records.pendingRepositories()) {
      signal?.throwIfAborted();
      for (const tag of await this.records.pending(key)) outcomes.push(await this.sync(key, tag));
    }
    return outcomes;
  }

  /** A V1 tag written before the bridge existed (or while it was off): record it and show it. */
  async adoptV1Tag(name: RepositoryName, tag: string, id: string): Promise<SyncOutcome | null> {
    const names = v2NamesOf(name);
    if (names.length === 0) return null;
    const key = names[0] as string;
    await this.locks.run(tagLock(key, tag), () => this.records.write(key, tag, { source: 'v1', v2name: key, target: id }));
    return this.sync(key, tag);
  }

  /** A V2 tag written before the bridge existed (or while it was off): record it and show it. */
  async adoptV2Tag(v2name: string, tag: string, digest: Digest): Promise<SyncOutcome> {
    const key = recordKeyOf(v2name);
    await this.locks.run(tagLock(key, tag), () => this.records.write(key, tag, { source: 'v2', v2name, target: digest.value }));
    return this.sync(key, tag);
  }

  private tellOnce(key: string, tag: string, record: TagRecord, reason: string): void {
    const id = `${record.source}:${record.target}:${reason}`;
    if (this.told.has(id)) return;
    if (this.told.size > 10_000) this.told.clear();
    this.told.add(id);
    const other = record.source === 'v1' ? 'V2' : 'V1';
    this.log.info({ repository: key, tag, source: record.source, target: record.target, reason }, `bridge: not shown over ${other}: ${reason}`);
  }
}

/** How long a V1 tag PUT waits for a V2 view whose layers are all known (it is a few small writes). */
const INLINE_SYNC_MS = 2000;

function tagLock(key: string, tag: string): string {
  return `bridge-tag:${key}:${tag}`;
}
