/**
 * Every V2 repository in storage, found as registry:2 finds them: a directory is a repository
 * when it holds `_manifests`, `_layers` or `_uploads`; other `_` directories are never entered,
 * and names nest (`library/ubuntu`, `a/b/c`). The walk itself is storage's (lib/storage/walk.ts).
 */
import type { StorageDriver } from '../../storage/driver.js';
import { v2 } from '../../storage/paths.js';
import { walkDirectories } from '../../storage/walk.js';

export interface FoundRepository {
  name: string;
  /** its `_`-children: `_manifests`, `_layers`, `_uploads`, … */
  parts: Set<string>;
}

const MARKERS = new Set(['_manifests', '_layers', '_uploads']);
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export async function* walkRepositories(storage: StorageDriver, signal?: AbortSignal): AsyncGenerator<FoundRepository> {
  const root: string = v2.repositories;
  const descendInto = (child: string) => !baseName(child).startsWith('_');
  for await (const { path, children } of walkDirectories(storage, root, { descendInto, signal })) {
    const parts = new Set(children.map(baseName).filter((name) => name.startsWith('_')));
    if (path !== root && [...parts].some((p) => MARKERS.has(p))) yield { name: path.slice(root.length + 1), parts };
  }
}
