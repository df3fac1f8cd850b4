/**
 * `/v1/search` over the SQLite index, and the index's upkeep: every repository change the V1
 * services report, and a rebuild from the `repositories/` tree when the index is new or empty.
 */
import type { RepositoryName } from '../../names/v1.js';
import type { SearchIndex } from '../../search/search-index.js';
import type { StorageDriver } from '../../storage/driver.js';
import { listV1Repositories } from './repository-list.js';

export type RepositoryEvent = 'changed' | 'deleted';
export type RepositoryListener = (event: RepositoryEvent, name: RepositoryName) => void;

export class SearchService {
  constructor(
    private readonly index: SearchIndex,
    private readonly storage: StorageDriver,
  ) {}

  readonly onRepository: RepositoryListener = (event, { namespace, repository }) => {
    const name = `${namespace}/${repository}`;
    if (event === 'changed') this.index.add(name);
    else this.index.remove(name);
  };

  /** The answer Docker expects from `docker search`. */
  search(query: string) {
    const results = this.index
      .search(query)
      .map((r) => ({ description: r.description ?? '', is_official: false, is_trusted: false, name: r.name, star_count: 0 }));
    return { num_results: results.length, query, results };
  }

  /**
   * Fill an empty index from storage (a new database, or one an old registry never filled),
   * all at once, so a search never sees half of it. Returns how many were added.
   */
  async rebuildIfEmpty(): Promise<number> {
    if (!this.index.isEmpty()) return 0;
    const names = await listV1Repositories(this.storage);
    this.index.addAll(names);
    return names.length;
  }
}
