/**
 * A cheap fingerprint of a directory tree: every entry's relative path, its type, and for a
 * file its size, mtime and inode (a rewrite in place moves the mtime, a replace-by-rename the
 * inode). Two fingerprints differ exactly where something was created, removed or written.
 */
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export type TreePrint = Map<string, string>;

export function treePrint(root: string, skip: (relative: string) => boolean = () => false): TreePrint {
  const out: TreePrint = new Map();
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // removed while we looked
      throw err;
    }
    for (const name of names) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (skip(rel)) continue;
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(full);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      if (st.isDirectory()) {
        out.set(rel, 'dir');
        walk(full);
      } else if (st.isSymbolicLink()) {
        out.set(rel, `link -> ${readlinkSync(full)}`);
      } else {
        out.set(rel, `${st.isFile() ? 'file' : 'other'} ${st.size} bytes, mtime ${st.mtimeMs}, inode ${st.ino}`);
      }
    }
  };
  walk(root);
  return out;
}

/** What changed from `before` to `after`, one line per entry ('+' created, '-' removed, '~' changed). */
export function treeDiff(before: TreePrint, after: TreePrint): string[] {
  const changes: string[] = [];
  for (const [p, was] of before) {
    const now = after.get(p);
    if (now === undefined) changes.push(`- ${p} (${was})`);
    else if (now !== was) changes.push(`~ ${p} (${was} → ${now})`);
  }
  for (const [p, now] of after) if (!before.has(p)) changes.push(`+ ${p} (${now})`);
  return changes;
}
