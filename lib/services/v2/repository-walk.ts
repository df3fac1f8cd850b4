/**
 * Every V2 repository in storage, found as registry:2 finds them: a directory is a repository
 * when it holds `_manifests`, `_layers` or `_uploads`; other `_` directories are never entered,
 * and names nest (`library/ubuntu`, `a/b/c`).
 */
import type { StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v2 } from '../../storage/paths.js';

export interface FoundRepository {
  name: string;
  /** its `_`-children: `_manifests`, `_layers`, `_uploads`, … */
  parts: Set<string>;
}

const MARKERS = new Set(['_manifests', '_layers', '_uploads']);

export async function* walkRepositories(storage: StorageDriver, signal?: AbortSignal): AsyncGenerator<FoundRepository> {
  const root: string = v2.repositories;
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let children: string[];
    try {
      children = await storage.list(dir, signal);
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    const parts = new Set<string>();
    const subdirs: string[] = [];
    for (const child of children) {
      const base = child.slice(child.lastIndexOf('/') + 1);
      if (base.startsWith('_')) parts.add(base);
      else subdirs.push(child);
    }
    if (dir !== root && [...parts].some((p) => MARKERS.has(p))) yield { name: dir.slice(root.length + 1), parts };
    // reversed so that the stack pops them in sorted order
    pending.push(...subdirs.reverse());
  }
}
