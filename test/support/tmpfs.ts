/**
 * A small tmpfs of its own for a test that needs a full disk. Mounting needs root and a
 * kernel or container that allows it: null (with the reason) when it is refused, so the test
 * can say why it skipped. unmount() is lazy (-l), so a file a failed test left open cannot keep
 * the mount, and removes the mount point.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rmdir, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tmpfs {
  dir: string;
  unmount(): Promise<void>;
}

export async function mountTmpfs(bytes: number): Promise<Tmpfs | { refused: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-tmpfs-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { timeout: 10_000 });
  } catch (err) {
    await rmdir(dir).catch(() => {});
    return { refused: (err as { stderr?: string }).stderr?.trim() || (err as Error).message };
  }
  let unmounted: Promise<void> | undefined;
  return {
    dir,
    unmount: () => {
      unmounted ??= run('umount', ['-l', dir], { timeout: 10_000 }).then(() => rmdir(dir));
      return unmounted;
    },
  };
}

/** Bytes still free on the filesystem holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}
