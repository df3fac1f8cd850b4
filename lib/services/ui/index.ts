/**
 * What the web page at /ui/ reads and does, over the protocols' own services: the repositories
 * of both (one list), a repository's tags, a tag, the migration counts and the clients seen,
 * and a tag's deletion through the side that wrote it (the bridge takes the other side away).
 * `visible` is the caller's pull right (everything without auth); what it denies is never shown.
 */
import { V1 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { StorageDriver } from '../../storage/driver.js';
import type { ActivityRecord } from '../activity/activity-record.js';
import type { ClientEntry } from '../activity/client-activity.js';
import type { BridgeService } from '../bridge/index.js';
import { v1NameOf } from '../bridge/names.js';
import type { V1Services, V2Services } from '../index.js';
import { MigrationCounter, type MigrationCounts } from './migration.js';
import { PAGE_SIZE, RepositoryIndex } from './repository-index.js';
import { TagView } from './tag-view.js';
import type { RepositoryEntry, RepositoryPage, RepositoryView, TagDetail } from './view-types.js';

export type Visible = (name: string) => boolean;

export class UiService {
  readonly repositories: RepositoryIndex;
  private readonly tags: TagView;
  private readonly migration: MigrationCounter;

  constructor(
    storage: StorageDriver,
    private readonly v1: V1Services,
    private readonly v2: V2Services,
    bridge: BridgeService | null,
    private readonly activity: ActivityRecord | null,
  ) {
    this.repositories = new RepositoryIndex(storage);
    this.tags = new TagView({ v1, v2, records: bridge?.records ?? null });
    this.migration = new MigrationCounter(this.repositories, this.tags, bridge?.records ?? null);
  }

  list(query: string, page: number, visible: Visible): Promise<RepositoryPage> {
    return this.repositories.page(query, page, visible);
  }

  async repository(name: string, page: number): Promise<RepositoryView> {
    const repo = await this.require(name);
    const all = await this.tags.tagsOf(repo);
    const last = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    const p = Math.min(Math.max(1, page), last);
    const tags = await Promise.all(all.slice((p - 1) * PAGE_SIZE, p * PAGE_SIZE).map((place) => this.tags.summary(repo.name, place)));
    return { name: repo.name, v1: repo.v1, v2: repo.v2, total: all.length, page: p, pageSize: PAGE_SIZE, tags };
  }

  async tag(name: string, tag: string): Promise<TagDetail> {
    const repo = await this.require(name);
    const place = (await this.tags.tagsOf(repo)).find((t) => t.tag === tag);
    if (!place) throw new RegistryError(V1.TAG_NOT_FOUND);
    return this.tags.detail(repo.name, place);
  }

  /** Delete a tag where it was written: the bridge removes what it showed on the other side. */
  async deleteTag(name: string, tag: string): Promise<void> {
    const repo = await this.require(name);
    const place = (await this.tags.tagsOf(repo)).find((t) => t.tag === tag);
    if (!place) throw new RegistryError(V1.TAG_NOT_FOUND);
    const summary = await this.tags.summary(repo.name, place);
    const source = summary.bridge?.source;
    // The side that wrote it (both, without a record of it: the bridge was off).
    if (place.v2 && (source !== 'v1' || !place.v1)) await this.v2.manifests.delete(place.v2, { kind: 'tag', tag }).catch(ignoreGone);
    if (place.v1 && (source !== 'v2' || !place.v2)) await this.v1.tags.delete(v1NameOf(repo.name), tag).catch(ignoreGone);
    this.repositories.forget();
    this.migration.forget();
  }

  counts(visible: Visible): Promise<MigrationCounts> {
    return this.migration.counts(visible);
  }

  /**
   * Clients of the last 30 days, with only the repositories the caller may see. `restricted`
   * (auth on): only clients that used one of those; otherwise also those that named none
   * (a V1 pull's image calls alone).
   */
  async clients(visible: Visible, restricted: boolean): Promise<ClientEntry[]> {
    const all = (await this.activity?.read()) ?? [];
    return all.flatMap((c) => {
      const repositories = c.repositories.filter((u) => visible(u.name));
      return repositories.length > 0 || (!restricted && c.repositories.length === 0) ? [{ ...c, repositories }] : [];
    });
  }

  private async require(name: string): Promise<RepositoryEntry> {
    const repo = await this.repositories.find(name);
    if (!repo) throw new RegistryError(V1.REPOSITORY_NOT_FOUND);
    return repo;
  }
}

/** Deleted meanwhile (another visitor, a client): gone is what was asked. */
function ignoreGone(err: unknown): void {
  if (!(err instanceof RegistryError && err.status === 404)) throw err;
}
