/**
 * Which side wrote a tag last, and whether the other side shows it yet:
 * `berth/bridge/tags/<ns>/<repo>/_tags/<tag>`. Both protocols' tag writes pass through here
 * (under one lock per tag), so the record decides every race: whatever side recorded last is
 * what both sides end up showing.
 */
import type { StorageDriver } from '../../storage/driver.js';
import { deleteIfExists, listOrEmpty } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { bridge } from '../../storage/paths.js';
import { walkDirectories } from '../../storage/walk.js';

export interface TagRecord {
  /** the side whose write the other side must show */
  source: 'v1' | 'v2';
  /** the V2 name that side used (V2 names `x` and `library/x` are one V1 repository) */
  v2name: string;
  /** what that side's tag names (a V1 image id, a V2 manifest digest), null when it deleted the tag */
  target: string | null;
  /** pending until the other side shows it; done; or impossible, with why */
  state: 'pending' | 'done' | 'not-bridgeable';
  reason?: string;
  /** when the source side wrote it (ms since the epoch) */
  at: number;
  /**
   * One more than the record it replaced: two writes in the same millisecond share `at`, and a
   * sync must still tell them apart. Absent in records written before it existed (read as 0).
   */
  seq?: number;
}

/** Whether two records are the same write of a tag (its state aside). */
export function sameWrite(a: TagRecord, b: TagRecord): boolean {
  return a.at === b.at && (a.seq ?? 0) === (b.seq ?? 0);
}

export class TagRecords {
  constructor(private readonly storage: StorageDriver) {}

  async get(key: string, tag: string): Promise<TagRecord | null> {
    try {
      return JSON.parse((await this.storage.getContent(bridge.tag(key, tag))).toString('utf8')) as TagRecord;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** A new write of a tag, pending until the other side shows it. The caller holds the tag's lock, so the sequence cannot fork. */
  async write(key: string, tag: string, change: Pick<TagRecord, 'source' | 'v2name' | 'target'>): Promise<TagRecord> {
    const previous = await this.get(key, tag);
    const record: TagRecord = { ...change, state: 'pending', at: Date.now(), seq: (previous?.seq ?? 0) + 1 };
    await this.put(key, tag, record);
    return record;
  }

  /** The marker of a pending record goes first and away last, so that a listing never misses one. */
  async put(key: string, tag: string, record: TagRecord): Promise<void> {
    if (record.state === 'pending') await this.storage.putContent(bridge.pendingTag(key, tag), String(record.at));
    await this.storage.putContent(bridge.tag(key, tag), JSON.stringify(record));
    if (record.state !== 'pending') await deleteIfExists(this.storage, bridge.pendingTag(key, tag));
  }

  /** Tags of a repository whose other side is not written yet (one listing, however many tags it has). */
  async pending(key: string): Promise<string[]> {
    return (await listOrEmpty(this.storage, bridge.pendingTags(key))).map((path) => path.slice(path.lastIndexOf('/') + 1));
  }

  /** Every repository key with a pending tag, for a restart to finish what a stopped process began. */
  async *pendingRepositories(): AsyncGenerator<string> {
    const records = (child: string) => !/\/_(tags|pending)$/.test(child);
    for await (const dir of walkDirectories(this.storage, bridge.tags, { descendInto: records })) {
      if (dir.children.some((c) => c.endsWith('/_pending'))) yield dir.path.slice(bridge.tags.length + 1);
    }
  }
}
