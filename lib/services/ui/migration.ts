/**
 * The migration view's counts: every tag of every repository by where it is visible (V1 only,
 * both through the bridge, V2 only), and those the bridge cannot show on the other side with
 * its reason (lib/bridge/not-bridgeable.ts). Counting walks every repository's tags, so the
 * per-repository counts are kept for a minute and the walk is bounded in time; the sum is made
 * per request over what the caller may see.
 */

import type { TagRecords } from '../bridge/tag-records.js';
import type { Counts, MigrationCounts } from './view-types.js';

export type { MigrationCounts };

import type { RepositoryEntry, RepositoryIndex } from './repository-index.js';
import type { TagPlace, TagView } from './tag-view.js';

const FRESH_MS = 60_000;
const WALK_MS = 30_000;
const WALK_CONCURRENCY = 16;

export class MigrationCounter {
  private cached: { at: number; byRepo: Promise<{ counts: Map<string, Counts>; partial: boolean }> } | null = null;

  constructor(
    private readonly index: RepositoryIndex,
    private readonly tags: TagView,
    private readonly records: TagRecords | null,
  ) {}

  forget(): void {
    this.cached = null;
  }

  async counts(visible: (name: string) => boolean, now = Date.now()): Promise<MigrationCounts> {
    if (!this.cached || now - this.cached.at > FRESH_MS) {
      const byRepo = this.walk();
      this.cached = { at: now, byRepo };
      byRepo.catch(() => {
        if (this.cached?.byRepo === byRepo) this.cached = null;
      });
    }
    const at = this.cached.at;
    const { counts, partial } = await this.cached.byRepo;
    const total: Counts = empty();
    let repositories = 0;
    for (const [name, c] of counts) {
      if (!visible(name)) continue;
      repositories++;
      total.v1Only += c.v1Only;
      total.both += c.both;
      total.v2Only += c.v2Only;
      total.pending += c.pending;
      for (const [reason, n] of Object.entries(c.notBridgeable)) total.notBridgeable[reason] = (total.notBridgeable[reason] ?? 0) + n;
    }
    return { ...total, repositories, partial, computedAt: new Date(at).toISOString() };
  }

  private async walk(): Promise<{ counts: Map<string, Counts>; partial: boolean }> {
    const until = Date.now() + WALK_MS;
    const counts = new Map<string, Counts>();
    const all = await this.index.all();
    // A few repositories at a time: each is a handful of small reads, mostly waiting on storage.
    for (let i = 0; i < all.length; i += WALK_CONCURRENCY) {
      if (Date.now() > until) return { counts, partial: true };
      const some = all.slice(i, i + WALK_CONCURRENCY);
      const found = await Promise.all(some.map((repo) => this.countRepository(repo)));
      for (const [k, repo] of some.entries()) counts.set(repo.name, found[k] as Counts);
    }
    return { counts, partial: false };
  }

  private async countRepository(repo: RepositoryEntry): Promise<Counts> {
    const c = empty();
    for (const place of await this.tags.tagsOf(repo)) await this.countTag(repo.name, place, c);
    return c;
  }

  private async countTag(key: string, place: TagPlace, c: Counts): Promise<void> {
    if (place.v1 && place.v2) {
      c.both++;
      return;
    }
    const record = this.records ? await this.records.get(key, place.tag) : null;
    if (record?.state === 'not-bridgeable') {
      const reason = reasonGroup(record.reason ?? 'unknown');
      c.notBridgeable[reason] = (c.notBridgeable[reason] ?? 0) + 1;
    } else if (record?.state === 'pending') c.pending++;
    else if (place.v1) c.v1Only++;
    else c.v2Only++;
  }
}

function empty(): Counts {
  return { v1Only: 0, both: 0, v2Only: 0, pending: 0, notBridgeable: {} };
}

/** A reason names the image or layer it is about: counted by what it says of it. */
export function reasonGroup(reason: string): string {
  return reason.replace(/\b(sha256|sha512):[0-9a-f]+/g, '<digest>').replace(/\b[0-9a-f]{64}\b/g, '<id>');
}
