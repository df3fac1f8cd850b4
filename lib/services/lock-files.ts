/**
 * Lock and lease records in lock_dir are made whole under `lock_dir/.making/` and renamed into
 * place (and renamed out of place before they are deleted), so a process killed at any instant
 * (kill -9, the OOM killer) leaves either nothing or a complete record naming it, which the next
 * process sees is gone at once. Written in place, a kill between a lock's mkdir and its holder
 * file, or while a lease was rewritten, left a record with no holder to check, and the next push
 * of that image waited out the stale limit (30 s for a lock, 20 s for a push).
 *
 * What a kill leaves under `.making/` is never in anyone's way; the first lock a process takes
 * sweeps it: records on their way out at once, records being made once their maker is gone
 * (their names carry it, as temp files' do: lib/storage/writer-id.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { hostId, processAlive, reclaimReason, tempName } from '../storage/writer-id.js';

const MAKING = '.making';
/** being made: its maker's record inside */
const NEW = '.new';
/** renamed out of place on its way to deletion */
const GONE = '.gone';
/** a record is made in microseconds: one this old is a kill's leftover, whoever made it (another host's process, say) */
const LEFT_AFTER_MS = 60_000;

/** A fresh path under `.making/` for something `kind` (NEW or GONE), named for this process as temp files are (writer-id.ts). */
async function makingPath(lockDir: string, kind: string): Promise<string> {
  const dir = path.join(lockDir, MAKING);
  await fs.mkdir(dir, { recursive: true });
  return path.join(dir, tempName(kind.slice(1)) + kind);
}

/** Write `text` to `file` whole: readers see the old content, or none, or all of the new. */
export async function writeWhole(lockDir: string, file: string, text: string): Promise<void> {
  const made = await makingPath(lockDir, NEW);
  try {
    await fs.writeFile(made, text);
    await fs.rename(made, file);
  } catch (err) {
    await fs.rm(made, { force: true });
    throw err;
  }
}

/**
 * Make the directory `target` with one file `name` holding `text`, whole, unless `target`
 * exists; false when it does (rename refuses a directory that is not empty; an empty one left
 * by an older Berth is seen before and left to the stale rule).
 */
export async function makeDirWhole(lockDir: string, target: string, name: string, text: string): Promise<boolean> {
  if (await exists(target)) return false;
  const made = await makingPath(lockDir, NEW);
  await fs.mkdir(made);
  try {
    await fs.writeFile(path.join(made, name), text);
    await fs.rename(made, target);
    return true;
  } catch (err) {
    await fs.rm(made, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw err;
  }
}

const exists = (file: string) =>
  fs.stat(file).then(
    () => true,
    () => false,
  );

/** Remove the directory `target` at once (one rename), then its content; false when it was not there. */
export async function removeDirWhole(lockDir: string, target: string): Promise<boolean> {
  const gone = await makingPath(lockDir, GONE);
  try {
    await fs.rename(target, gone);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  await fs.rm(gone, { recursive: true, force: true });
  return true;
}

/** Remove what killed processes left under `.making/` (see the header); returns how many. */
export async function reclaimMaking(lockDir: string, now = Date.now()): Promise<number> {
  const dir = path.join(lockDir, MAKING);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const ctx = { host: hostId(), now, maxAgeMs: LEFT_AFTER_MS, alive: processAlive };
  let removed = 0;
  for (const name of names) {
    const entry = path.join(dir, name);
    if (name.endsWith(NEW)) {
      // Its name says who makes it (writer-id.ts), whatever a kill left in it.
      const info = await fs.stat(entry).catch(() => null);
      if (!info || reclaimReason({ name, modifiedMs: info.mtimeMs }, ctx) === null) continue;
    } else if (!name.endsWith(GONE)) continue;
    await fs.rm(entry, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
