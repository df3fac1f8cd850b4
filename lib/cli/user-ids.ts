/**
 * gunicorn's `-u USER` / `-g GROUP`: names (or numbers) to the ids the workers run as. Only root
 * can switch; anyone else gets a warning and keeps running as themselves, as docker-registry's
 * `run.py` warned. Names are looked up in /etc/passwd and /etc/group (where getpwnam looks on
 * a plain system; Node has no getpwnam).
 */
import fs from 'node:fs';

export interface Ids {
  uid?: number;
  gid?: number;
  warning?: string;
}

export function resolveIds(user: string | null, group: string | null, files = { passwd: '/etc/passwd', group: '/etc/group' }): Ids {
  if (user === null && group === null) return {};
  if (process.getuid?.() !== 0) return { warning: `-u/-g ${[user, group].filter(Boolean).join('/')}: ignored, not started as root` };
  const ids: Ids = {};
  if (user !== null) {
    const entry = lookup(files.passwd, user);
    if (!entry) throw new Error(`-u ${user}: no such user in ${files.passwd}`);
    ids.uid = entry.id;
    // As gunicorn: the user's own group unless -g says otherwise.
    if (entry.gid !== undefined) ids.gid = entry.gid;
  }
  if (group !== null) {
    const entry = lookup(files.group, group);
    if (!entry) throw new Error(`-g ${group}: no such group in ${files.group}`);
    ids.gid = entry.id;
  }
  return ids;
}

/** `name:x:id:gid:...` lines; a number is taken as the id itself. */
export function lookup(file: string, nameOrId: string): { id: number; gid?: number } | null {
  if (/^\d+$/.test(nameOrId)) {
    const id = Number(nameOrId);
    const line = readLines(file).find((l) => l[2] === nameOrId);
    return { id, ...(line?.[3] ? { gid: Number(line[3]) } : {}) };
  }
  const line = readLines(file).find((l) => l[0] === nameOrId);
  if (!line) return null;
  return { id: Number(line[2]), ...(line[3] && /^\d+$/.test(line[3]) ? { gid: Number(line[3]) } : {}) };
}

function readLines(file: string): string[][] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}
