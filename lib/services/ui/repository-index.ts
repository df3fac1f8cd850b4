/**
 * The repositories of both protocols as one list for the web page, keyed as the bridge keys
 * them (the V1 form, `ns/repo`: V2's `x` and `library/x` are V1's `library/x`). Listing a
 * store means walking it (10,000 repositories is a few thousand directory listings), so the
 * merged list is kept for a few seconds and shared by every page of every visitor; search and
 * paging are done on it, on the server.
 */
import type { StorageDriver } from '../../storage/driver.js';
import { recordKeyOf } from '../bridge/names.js';
import { listV1Repositories } from '../v1/repository-list.js';
import { walkRepositories } from '../v2/repository-walk.js';
import type { RepositoryEntry, RepositoryPage } from './view-types.js';

export type { RepositoryEntry, RepositoryPage };

export const PAGE_SIZE = 50;
const FRESH_MS = 5000;

export class RepositoryIndex {
  private cached: { at: number; entries: Promise<RepositoryEntry[]> } | null = null;
  /** when a miss last made the list walk again */
  private recheckedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly storage: StorageDriver) {}

  /** Sorted by name; at most FRESH_MS old. */
  all(now = Date.now()): Promise<RepositoryEntry[]> {
    if (!this.cached || now - this.cached.at > FRESH_MS) {
      const entries = this.build();
      this.cached = { at: now, entries };
      entries.catch(() => {
        if (this.cached?.entries === entries) this.cached = null;
      });
    }
    return this.cached.entries;
  }

  /** After a change made through the page: the next read walks again. */
  forget(): void {
    this.cached = null;
  }

  async get(name: string): Promise<RepositoryEntry | null> {
    return (await this.all()).find((e) => e.name === name) ?? null;
  }

  /**
   * `get`, and on a miss (pushed since the list was made?) one walk again before saying it is
   * not there; but at most one such walk per FRESH_MS, whatever the misses (unknown names are
   * cheap to ask for and a walk of 10,000 repositories takes seconds), and every miss meanwhile
   * waits for that same walk.
   */
  async find(name: string, now = Date.now()): Promise<RepositoryEntry | null> {
    const hit = await this.get(name);
    if (hit) return hit;
    if (now - this.recheckedAt > FRESH_MS) {
      this.recheckedAt = now;
      this.forget();
    }
    return (await this.all(now)).find((e) => e.name === name) ?? null;
  }

  /** Case-insensitive substring search, then the 1-based `page`; `visible` keeps only what the caller may see. */
  async page(query: string, page: number, visible: (name: string) => boolean): Promise<RepositoryPage> {
    const q = query.trim().toLowerCase();
    const matching = (await this.all()).filter((e) => (q === '' || e.name.toLowerCase().includes(q)) && visible(e.name));
    const last = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    const p = Math.min(Math.max(1, page), last);
    return { total: matching.length, page: p, pageSize: PAGE_SIZE, items: matching.slice((p - 1) * PAGE_SIZE, p * PAGE_SIZE) };
  }

  private async build(): Promise<RepositoryEntry[]> {
    const byName = new Map<string, RepositoryEntry>();
    const entry = (name: string) => {
      let e = byName.get(name);
      if (!e) {
        e = { name, v1: false, v2: [] };
        byName.set(name, e);
      }
      return e;
    };
    for (const name of await listV1Repositories(this.storage)) entry(name).v1 = true;
    for await (const repo of walkRepositories(this.storage)) {
      if (repo.parts.has('_manifests')) entry(recordKeyOf(repo.name)).v2.push(repo.name);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
