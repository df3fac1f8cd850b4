/**
 * The `/diff` of an image and its queue (docker/docker-registry `docker_registry/lib/layers.py`,
 * `lib/rqueue.py`, `scripts/diff-worker.py`): what the layer deleted, changed and created relative
 * to its ancestors, computed from the `_files` listings. Requests only queue the work on the
 * `cache` Redis list `diff-worker` (the id JSON-quoted, capped at 1024, as docker-registry did, so
 * its Python worker and Berth's share one queue); `scripts/diff-worker` computes it.
 */
import type { RedisCache } from '../../cache/redis-cache.js';
import { pyJson } from '../../formats/py-json.js';
import type { StorageDriver } from '../../storage/driver.js';
import { exists } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v1 } from '../../storage/paths.js';
import type { ImageService } from './images.js';
import type { FileEntry } from './layer-files.js';

export const DIFF_QUEUE = 'diff-worker';
const QUEUE_MAX = 1024;
const LOCK_SECONDS = 301;

type Info = [type: string, deleted: boolean, size: number, mtime: number, mode: number, uid: number, gid: number];

export interface LayerDiff {
  deleted: Record<string, Info>;
  changed: Record<string, Info>;
  created: Record<string, Info>;
}

/** Classify each entry of `own` against the ancestors' listings, nearest first (`layers.py` `get_image_diff_json`). */
export function diffLayers(own: FileEntry[], ancestors: FileEntry[][]): LayerDiff {
  const maps = ancestors.map((files) => new Map(files.map((f) => [f[0], f])));
  const diff: LayerDiff = { deleted: {}, changed: {}, created: {} };
  for (const [path, ...rest] of own) {
    const info = rest as Info;
    if (info[1]) {
      diff.deleted[path] = info;
      continue;
    }
    const before = maps.map((m) => m.get(path)).find((e) => e !== undefined);
    if (before && !before[2]) diff.changed[path] = info;
    else diff.created[path] = info;
  }
  return diff;
}

export class DiffService {
  constructor(
    private readonly storage: StorageDriver,
    private readonly images: ImageService,
    private readonly cache: RedisCache,
  ) {}

  /** Ask for the diff to be computed; false when Redis did not take it. */
  enqueue(id: string): Promise<boolean> {
    return this.cache.pushCapped(DIFF_QUEUE, JSON.stringify(id), QUEUE_MAX);
  }

  /** The stored `_diff`, or null (then it has been queued). */
  async get(id: string): Promise<Buffer | null> {
    try {
      return await this.storage.getContent(v1.imageDiff(id));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.enqueue(id);
      return null;
    }
  }

  /** One queued id: computed and stored unless already there or another worker holds it. Returns whether it wrote. */
  async work(id: string): Promise<boolean> {
    if (await exists(this.storage, v1.imageDiff(id))) return false;
    if (!(await this.cache.lock(`diff-worker-lock:locks:${id}`, LOCK_SECONDS))) return false;
    const ancestry = await this.images.getAncestry(id);
    const listings: FileEntry[][] = [];
    for (const image of ancestry) listings.push(JSON.parse((await this.images.files(image)).toString('utf8')) as FileEntry[]);
    const [own = [], ...ancestors] = listings;
    await this.storage.putContent(v1.imageDiff(id), pyJson(diffLayers(own, ancestors)));
    return true;
  }
}
