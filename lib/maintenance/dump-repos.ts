/**
 * docker-registry's `scripts/dump_repos_data.py`: for every V1 repository with tags, each
 * tagged image and its ancestry with its checksum, as
 * `[{"namespace", "repository", "images": [{"id", "checksum"}]}]` (what an index imports), with
 * its quirks kept: names as stored, the checksum as `_checksum` holds it (trimmed), a tagged
 * image without an ancestry file left out (and reported). Repositories come one at a time
 * (store-walk.ts): the caller writes each as it comes.
 */
import type { StorageDriver } from '../storage/driver.js';
import { parseIdList } from './gc-mark.js';
import { readOrNull, v1Tags } from './store-walk.js';

export interface DumpedRepository {
  namespace: string;
  repository: string;
  images: Array<{ id: string; checksum: string | null }>;
}

export async function* dumpRepos(
  storage: StorageDriver,
  options: { signal?: AbortSignal; onMissingAncestry?: (id: string) => void } = {},
): AsyncGenerator<DumpedRepository> {
  const { signal } = options;
  let current: DumpedRepository | null = null;
  let seen = new Set<string>();
  for await (const tag of v1Tags(storage, signal)) {
    const [, namespace = '', repository = ''] = tag.path.split('/');
    if (!current || current.namespace !== namespace || current.repository !== repository) {
      if (current) yield current;
      current = { namespace, repository, images: [] };
      seen = new Set();
    }
    const ancestry = parseIdList(await readOrNull(storage, `images/${tag.id}/ancestry`, signal));
    if (!ancestry) options.onMissingAncestry?.(tag.id);
    for (const id of ancestry ?? []) {
      if (seen.has(id)) continue;
      seen.add(id);
      const checksum = await readOrNull(storage, `images/${id}/_checksum`, signal);
      current.images.push({ id, checksum: checksum ? checksum.toString('utf8').trim() : null });
    }
  }
  if (current) yield current;
}
