/**
 * `berth search-reindex`: make the /v1/search index (search-index.ts) list exactly the V1
 * repositories in storage: the missing ones added (descriptions of the others kept), the ones
 * no longer stored removed. The server fills an empty index by itself; this is for one that
 * drifted (a store restored from a backup, repositories removed by hand).
 */
import type { SearchIndex } from '../search/search-index.js';
import { listV1Repositories } from '../services/v1/repository-list.js';
import type { StorageDriver } from '../storage/driver.js';

export interface ReindexReport {
  dryRun: boolean;
  stored: number;
  added: string[];
  removed: string[];
}

export async function searchReindex(storage: StorageDriver, index: SearchIndex, dryRun: boolean): Promise<ReindexReport> {
  const stored = new Set(await listV1Repositories(storage));
  const indexed = new Set(index.search('').map((r) => r.name));
  const added = [...stored].filter((n) => !indexed.has(n)).sort();
  const removed = [...indexed].filter((n) => !stored.has(n)).sort();
  if (!dryRun) {
    index.addAll(added);
    for (const name of removed) index.remove(name);
  }
  return { dryRun, stored: stored.size, added, removed };
}
