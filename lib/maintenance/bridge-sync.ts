/**
 * scripts/bridge-sync's work: show every V1 tag of a store over V2 and every V2 tag over V1, for
 * a store filled before the bridge existed (or while `bridge: false`). One pass over both trees;
 * what the bridge has recorded already (tag-records.ts) is skipped, so a run stopped halfway
 * goes on where it was. A tag both trees have and the bridge never saw is settled by which was
 * written last. Safe while the server runs: every write goes through the bridge's own records
 * and per-tag locks, as the server's do.
 */
import { parseDigest } from '../checksums/digest.js';
import type { RepositoryName } from '../names/v1.js';
import { isImageId } from '../names/v1.js';
import type { BridgeService } from '../services/bridge/index.js';
import { recordKeyOf } from '../services/bridge/names.js';
import { walkRepositories } from '../services/v2/repository-walk.js';
import { listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';
import { REPOSITORIES, v2 } from '../storage/paths.js';
import { unquoteStored } from '../storage/py-quote.js';

export interface FoundTag {
  side: 'v1' | 'v2';
  /** `ns/repo` for V1, the V2 name for V2 */
  repository: string;
  tag: string;
  /** a V1 image id, or a V2 manifest digest */
  target: string;
  writtenAt: number;
}

export interface BridgeSyncReport {
  dryRun: boolean;
  found: number;
  /** already shown on the other side, or recorded as impossible */
  skipped: number;
  /** a tag both trees have: the older side's write is left to the newer one */
  superseded: number;
  bridged: Array<{ side: 'v1' | 'v2'; repository: string; tag: string }>;
  notBridgeable: Array<{ side: 'v1' | 'v2'; repository: string; tag: string; reason: string }>;
  failed: Array<{ side: 'v1' | 'v2'; repository: string; tag: string; error: string }>;
}

export interface BridgeSyncOptions {
  dryRun?: boolean;
  signal?: AbortSignal;
  onTotal?: (n: number) => void;
  onTag?: (tag: FoundTag) => void;
}

export async function bridgeSync(storage: StorageDriver, bridge: BridgeService, options: BridgeSyncOptions = {}): Promise<BridgeSyncReport> {
  const found = [...(await v1Tags(storage, options.signal)), ...(await v2Tags(storage, options.signal))];
  options.onTotal?.(found.length);
  const report: BridgeSyncReport = {
    dryRun: options.dryRun ?? false,
    found: found.length,
    skipped: 0,
    superseded: 0,
    bridged: [],
    notBridgeable: [],
    failed: [],
  };
  // One decision per tag of a repository, whichever tree (or both) holds it.
  const byTag = new Map<string, FoundTag[]>();
  for (const t of found) {
    const key = `${t.side === 'v1' ? t.repository : recordKeyOf(t.repository)}:${t.tag}`;
    byTag.set(key, [...(byTag.get(key) ?? []), t]);
  }
  for (const [id, tags] of byTag) {
    options.signal?.throwIfAborted();
    for (const t of tags) options.onTag?.(t);
    const key = id.slice(0, id.lastIndexOf(':'));
    const tag = tags[0]?.tag as string;
    // What the bridge recorded decides (the other tree's copy may be its own derived one);
    // a tag it never saw is the newest tree's.
    const record = await bridge.records.get(key, tag);
    const newest = tags.reduce((a, b) => (b.writtenAt > a.writtenAt ? b : a));
    const entry = { side: newest.side, repository: newest.repository, tag };
    if (record?.state === 'done') {
      report.skipped += tags.length;
      continue;
    }
    if (record?.state === 'not-bridgeable') {
      report.notBridgeable.push({ ...entry, side: record.source, reason: record.reason ?? 'unknown' });
      continue;
    }
    report.superseded += tags.length - 1;
    if (report.dryRun) {
      report.bridged.push(entry);
      continue;
    }
    try {
      const outcome = record
        ? await bridge.sync(key, tag)
        : newest.side === 'v1'
          ? await bridge.adoptV1Tag(v1NameOfKey(newest.repository), tag, newest.target)
          : await bridge.adoptV2Tag(newest.repository, tag, parseDigest(newest.target) as NonNullable<ReturnType<typeof parseDigest>>);
      if (outcome === null)
        report.notBridgeable.push({ ...entry, reason: 'the V1 repository name has no V2 form (V2 names are lowercase a-z, 0-9 and . _ - separators)' });
      else if (outcome.state === 'not-bridgeable') report.notBridgeable.push({ ...entry, reason: outcome.reason ?? 'unknown' });
      else report.bridged.push(entry);
    } catch (err) {
      report.failed.push({ ...entry, error: (err as Error).message });
    }
  }
  return report;
}

function v1NameOfKey(key: string): RepositoryName {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), repository: key.slice(slash + 1) };
}

/** Every V1 tag: `repositories/<ns>/<repo>/tag_<tag>` holding an image id. */
async function v1Tags(storage: StorageDriver, signal?: AbortSignal): Promise<FoundTag[]> {
  const tags: FoundTag[] = [];
  for (const nsDir of await listOrEmpty(storage, REPOSITORIES, signal)) {
    for (const repoDir of await listOrEmpty(storage, nsDir, signal)) {
      const [, ns, repo] = repoDir.split('/') as [string, string, string];
      const name = { namespace: unquoteStored(ns), repository: unquoteStored(repo) };
      for (const file of await listOrEmpty(storage, repoDir, signal)) {
        const base = file.slice(file.lastIndexOf('/') + 1);
        if (!base.startsWith('tag_')) continue;
        const id = await storage.getContent(file, signal).then(
          (b) => b.toString('utf8').trim(),
          () => '',
        );
        if (!isImageId(id)) continue; // a tag<x>_json file of a tag named `_<x>`, or garbage
        const stat = await storage.stat(file, signal);
        tags.push({
          side: 'v1',
          repository: `${name.namespace}/${name.repository}`,
          tag: unquoteStored(base.slice(4)),
          target: id,
          writtenAt: stat.modTime.getTime(),
        });
      }
    }
  }
  return tags;
}

/** Every V2 tag: `…/_manifests/tags/<tag>/current/link`. */
async function v2Tags(storage: StorageDriver, signal?: AbortSignal): Promise<FoundTag[]> {
  const tags: FoundTag[] = [];
  for await (const repo of walkRepositories(storage, signal)) {
    if (!repo.parts.has('_manifests')) continue;
    for (const dir of await listOrEmpty(storage, v2.tags(repo.name), signal)) {
      const tag = dir.slice(dir.lastIndexOf('/') + 1);
      try {
        const link = v2.tagCurrent(repo.name, tag);
        const digest = parseDigest((await storage.getContent(link, signal)).toString('utf8').trim());
        if (!digest) continue;
        const stat = await storage.stat(link, signal);
        tags.push({ side: 'v2', repository: repo.name, tag, target: digest.value, writtenAt: stat.modTime.getTime() });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
  return tags;
}
