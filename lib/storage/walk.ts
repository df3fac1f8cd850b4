/**
 * A depth-first walk of a storage tree built on list() alone, so it works on every driver, as
 * distribution's `storagedriver.WalkFallback` (registry/storage/driver/walk.go) does for
 * drivers without a walk of their own. Each directory comes before what lies below it, in
 * sorted order, with its direct children. A directory that is gone by the time it is listed
 * (or a child that is a file, which lists as not_found) is skipped.
 */
import { listOrEmpty, type StorageDriver } from './driver.js';

export interface WalkedDirectory {
  path: string;
  /** its direct children, as full paths, sorted (never empty) */
  children: string[];
}

export interface WalkOptions {
  /** Which children to list and walk below; all of them unless this says no. */
  descendInto?: (child: string) => boolean;
  signal?: AbortSignal | undefined;
}

export async function* walkDirectories(storage: StorageDriver, root: string, options: WalkOptions = {}): AsyncGenerator<WalkedDirectory> {
  const { descendInto = () => true, signal } = options;
  const pending = [root];
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const path = pending.pop() as string;
    const children = await listOrEmpty(storage, path, signal);
    if (children.length === 0) continue;
    yield { path, children };
    // reversed so that the stack pops them in sorted order
    pending.push(...children.filter(descendInto).reverse());
  }
}
