/**
 * `berth migrate-storage`: copy every object of one store into another, between any two
 * drivers (local, S3, Glance). Each object is streamed (never whole in memory), hashed on the
 * way, written through the target's atomic writer, then read back and checked (size and
 * sha256) before it counts as copied. A checkpoint file (one copied path a line, appended and
 * flushed as each is verified) lets a run that was killed go on where it was (a recorded path
 * the target does not hold at the same size is copied again); an object the
 * target already holds with the same bytes is not copied again, so a re-run is idempotent. At
 * the end both stores are listed and counted.
 *
 * The source should not change meanwhile (stop the server, or put it in read-only mode): what
 * is pushed after an object's directory was listed is not copied.
 */
import { createHash } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { listOrEmpty, type StorageDriver, writeFromStream } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';

export interface MigrateOptions {
  /** a local file recording what was copied: read on start, appended to as objects are verified */
  checkpoint: string;
  /** objects in flight at once */
  concurrency?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
  onObject?: (path: string, bytes: number) => void;
}

export interface MigrateReport {
  dryRun: boolean;
  /** objects in the source */
  source: number;
  copied: number;
  bytes: number;
  /** already in the target with the same bytes (a re-run), or recorded by the checkpoint */
  skipped: number;
  failed: Array<{ path: string; error: string }>;
  /** objects the target holds at the end (null on a dry run) */
  target: number | null;
}

export interface StoredFile {
  path: string;
  size: number;
}

/** Every object below `root` (the whole store when ''), depth first in sorted order, one directory listed at a time. */
export async function* storeFiles(storage: StorageDriver, root = '', signal?: AbortSignal): AsyncGenerator<StoredFile> {
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    const children = await listOrEmpty(storage, dir, signal);
    const dirs: string[] = [];
    for (const child of children) {
      const info = await storage.stat(child, signal).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
      if (!info) continue; // gone meanwhile
      if (info.isDir) dirs.push(child);
      else yield { path: child, size: info.size };
    }
    pending.push(...dirs.reverse());
  }
}

export async function migrateStorage(from: StorageDriver, to: StorageDriver, options: MigrateOptions): Promise<MigrateReport> {
  const { signal, dryRun = false } = options;
  const done = await readCheckpoint(options.checkpoint);
  const report: MigrateReport = { dryRun, source: 0, copied: 0, bytes: 0, skipped: 0, failed: [], target: null };
  const files = storeFiles(from, '', signal);
  const worker = async () => {
    for (;;) {
      const next = await files.next();
      if (next.done) return;
      const file = next.value;
      report.source++;
      try {
        // A checkpointed path needs only its size checked; anything else is compared byte for byte.
        if (done.has(file.path) ? await sameSize(to, file, signal) : await sameObject(from, to, file, signal)) report.skipped++;
        else if (!dryRun) {
          await copyVerified(from, to, file, signal);
          report.copied++;
          report.bytes += file.size;
        } else report.copied++;
        if (!dryRun && !done.has(file.path)) await appendFile(options.checkpoint, `${JSON.stringify(file.path)}\n`);
      } catch (err) {
        if (signal?.aborted) throw err;
        report.failed.push({ path: file.path, error: (err as Error).message });
      }
      options.onObject?.(file.path, file.size);
    }
  };
  // The generator hands each object to one worker: `next()` calls queue, never run in parallel.
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  if (!dryRun) {
    report.target = 0;
    for await (const _ of storeFiles(to, '', signal)) report.target++;
  }
  return report;
}

/** Paths a previous run copied and verified. */
async function readCheckpoint(file: string): Promise<Set<string>> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? '' : Promise.reject(err)));
  const done = new Set<string>();
  for (const line of text.split('\n')) {
    try {
      if (line) done.add(JSON.parse(line) as string);
    } catch {
      // the last line of a run killed mid-write: that object is checked again
    }
  }
  return done;
}

async function sha256Of(storage: StorageDriver, path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of (await storage.reader(path, signal ? { signal } : {})) as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A checkpoint names paths only: one left by another migration whose flavors had the same names
 * (the default file is named by them) would skip objects this target lacks. The target is
 * asked, then: a recorded path counts as copied only when the target holds it at the same size.
 */
async function sameSize(to: StorageDriver, file: StoredFile, signal?: AbortSignal): Promise<boolean> {
  const there = await to.stat(file.path, signal).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
  return there !== null && !there.isDir && there.size === file.size;
}

/** The target holds the object with the same size and bytes already. */
async function sameObject(from: StorageDriver, to: StorageDriver, file: StoredFile, signal?: AbortSignal): Promise<boolean> {
  if (!(await sameSize(to, file, signal))) return false;
  const [a, b] = await Promise.all([sha256Of(from, file.path, signal), sha256Of(to, file.path, signal)]);
  return a === b;
}

/** Stream the object across, hashing it; then read the copy back: same size, same sha256, or it is an error. */
async function copyVerified(from: StorageDriver, to: StorageDriver, file: StoredFile, signal?: AbortSignal): Promise<void> {
  const hash = createHash('sha256');
  const size = await writeFromStream(to, file.path, await from.reader(file.path, signal ? { signal } : {}), signal, (chunk) => hash.update(chunk));
  const expected = hash.digest('hex');
  const copy = await to.stat(file.path, signal);
  if (size !== file.size || copy.size !== size) throw new Error(`copied ${copy.size} bytes of ${file.size}`);
  const actual = await sha256Of(to, file.path, signal);
  if (actual !== expected) throw new Error(`the copy hashes to sha256:${actual}, the source to sha256:${expected}`);
}
