/**
 * The pull-through cache's storage budget (mirroring.max_bytes): once the blobs it fetched
 * weigh more, the least recently pulled go first, until they fit. Only fetched blobs are
 * weighed and evicted (their records say they came from upstream; what was pushed or mounted
 * here with allow_push is marked local and stays, records.ts), each under its blob lock, and
 * never one that a pinned tag (mirroring.pinned) needs: its manifest, an index's linux/amd64
 * image, their configs and layers. Only the bytes go: the repository's link stays, so the next
 * pull of an evicted blob fetches it again. Records whose bytes `berth gc` swept are dropped.
 */
import type { Digest } from '../checksums/digest.js';
import type { Logger } from '../logging/logger.js';
import { blobLock } from '../services/store-locks.js';
import { readLink } from '../services/v2/blobs.js';
import type { ManifestService } from '../services/v2/manifests.js';
import { deleteIfExists, exists, type StorageDriver } from '../storage/driver.js';
import { v2 } from '../storage/paths.js';
import type { MirrorContext } from './context.js';
import type { BlobRecord } from './records.js';

export interface EvictionOutcome {
  /** bytes of fetched blobs before and after */
  before: number;
  after: number;
  evicted: Digest[];
}

export class MirrorEviction {
  constructor(
    private readonly storage: StorageDriver,
    private readonly mirror: MirrorContext,
    private readonly manifests: ManifestService,
    private readonly log: Logger,
  ) {}

  async run(signal?: AbortSignal): Promise<EvictionOutcome> {
    const budget = this.mirror.settings.max_bytes ?? 0;
    const fetched = await this.fetched(signal);
    const before = fetched.reduce((sum, r) => sum + r.size, 0);
    const outcome: EvictionOutcome = { before, after: before, evicted: [] };
    if (budget <= 0 || before <= budget) return outcome;
    const pinned = await this.pinned();
    for (const record of fetched.sort((a, b) => a.pulled - b.pulled)) {
      if (outcome.after <= budget) break;
      signal?.throwIfAborted();
      if (pinned.has(record.digest.value)) continue;
      // Under the blob's lock, where a push or a mount marks it local and `berth gc` deletes it.
      const evicted = await this.mirror.locks.run(blobLock(record.digest), async () => {
        const now = await this.mirror.records.blob(record.digest);
        if (!now || now.local) return false;
        await deleteIfExists(this.storage, v2.blobData(record.digest));
        await this.mirror.records.forgetBlob(record.digest);
        return true;
      });
      if (!evicted) continue;
      outcome.after -= record.size;
      outcome.evicted.push(record.digest);
    }
    this.log.info(
      { before, after: outcome.after, budget, evicted: outcome.evicted.length },
      `mirror: evicted ${outcome.evicted.length} blob(s), least recently pulled first`,
    );
    return outcome;
  }

  /**
   * The records of fetched blobs whose bytes are here. A record whose bytes are gone (`berth gc`
   * swept the blob) is dropped on the way: it would weigh bytes that no longer take space.
   */
  private async fetched(signal?: AbortSignal): Promise<BlobRecord[]> {
    const out: BlobRecord[] = [];
    for (const record of await this.mirror.records.blobs()) {
      signal?.throwIfAborted();
      if (await exists(this.storage, v2.blobData(record.digest))) {
        if (!record.local) out.push(record);
        continue;
      }
      await this.mirror.locks.run(blobLock(record.digest), async () => {
        if (!(await exists(this.storage, v2.blobData(record.digest)))) await this.mirror.records.forgetBlob(record.digest);
      });
    }
    return out;
  }

  /** Every digest the pinned tags need. */
  private async pinned(): Promise<Set<string>> {
    const keep = new Set<string>();
    const visit = async (name: string, digest: Digest, depth: number): Promise<void> => {
      keep.add(digest.value);
      const manifest = await this.manifests.load(name, digest).catch(() => null);
      if (!manifest) return;
      for (const blob of manifest.info.blobs) keep.add(blob.value);
      if (depth < 2) for (const child of manifest.info.children) await visit(name, child.digest, depth + 1);
    };
    for (const { name, tag } of this.mirror.pinned) {
      const digest = await readLink(this.storage, v2.tagCurrent(name, tag)).catch(() => null);
      if (digest) await visit(name, digest, 0);
    }
    return keep;
  }
}
