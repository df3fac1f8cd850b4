/**
 * Reclaim what writers that died left behind: the backend's own leftovers (local temp files,
 * S3 multipart uploads, Glance staging images: StorageDriver.leftovers, which decides whose
 * writer is gone) and the bridge's staging objects (a gzip copy of a V1 layer written but
 * never moved under its digest). The sweep of the server's upload-purge job (at start and on
 * every sweep), of scripts/purge-uploads and of `scripts/verify --repair`. Safe while servers
 * run: a live writer's leftovers-to-be are never among them.
 */
import { type Leftover, listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';
import { bridge } from '../storage/paths.js';

export interface LeftoverOptions {
  /** writers the backend cannot see (another host, S3, Glance) count as gone once silent this long */
  maxAgeMs: number;
  now?: number;
  /** list them, remove nothing */
  dryRun?: boolean;
  signal?: AbortSignal | undefined;
}

export interface ReclaimedLeftover {
  kind: Leftover['kind'];
  name: string;
  size: number | null;
  lastActive: string;
  reason: string;
  /** why it could not be removed (it stays for the next sweep) */
  error?: string;
}

export async function reclaimLeftovers(storage: StorageDriver, options: LeftoverOptions): Promise<ReclaimedLeftover[]> {
  const { maxAgeMs, now = Date.now(), dryRun = false, signal } = options;
  const found = [...((await storage.leftovers?.({ maxAgeMs, now, signal })) ?? []), ...(await bridgeStaging(storage, maxAgeMs, now, signal))];
  const done: ReclaimedLeftover[] = [];
  for (const leftover of found) {
    signal?.throwIfAborted();
    const entry: ReclaimedLeftover = {
      kind: leftover.kind,
      name: leftover.name,
      size: leftover.size,
      lastActive: leftover.lastActive.toISOString(),
      reason: leftover.reason,
    };
    if (!dryRun) {
      try {
        await leftover.remove(signal);
      } catch (err) {
        if (signal?.aborted) throw err;
        entry.error = (err as Error).message;
      }
    }
    done.push(entry);
  }
  return done;
}

/**
 * `berth/bridge/staging/<uuid>`: a gzip copy of a V1 layer (layer-facts-store.ts) is written
 * there and moved under its digest right away; one older than the age is a copy whose writer died.
 */
async function bridgeStaging(storage: StorageDriver, maxAgeMs: number, now: number, signal?: AbortSignal): Promise<Leftover[]> {
  const found: Leftover[] = [];
  for (const path of await listOrEmpty(storage, `${bridge.root}/staging`, signal)) {
    const info = await storage.stat(path, signal).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
    if (!info || info.isDir || now - info.modTime.getTime() <= maxAgeMs) continue;
    found.push({
      kind: 'staging-object',
      name: path,
      size: info.size,
      lastActive: info.modTime,
      reason: `a bridge copy never moved under its digest, untouched for ${((now - info.modTime.getTime()) / 3_600_000).toFixed(1)} h`,
      remove: async (s) => {
        await storage.delete(path, s).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
      },
    });
  }
  return found;
}

/** `n` bytes, for a person. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
