/**
 * An htpasswd file's content: `user:hash` lines (httpd `modules/aaa/mod_authn_file.c`: the user
 * is everything before the first `:`, the hash the rest). A line that is not of that form, or
 * whose hash is not one htpasswd writes, is a problem; messages name the line and the user but
 * never show the hash, so they can be pasted into a ticket. As in Apache, the first line of a
 * user wins when a user appears twice.
 */
import { contentLines, type LineProblem } from './file-lines.js';
import { hashCost, isSupportedHash } from './password-hashes.js';

export interface HtpasswdContent {
  /** user → hash */
  users: Map<string, string>;
  problems: LineProblem[];
  /** users defined on more than one line (the first line counts) */
  duplicates: string[];
}

const FLAGS = 'htpasswd -B, -m, -s, -d, -2 or -5';

export function parseHtpasswd(text: string): HtpasswdContent {
  const users = new Map<string, string>();
  const problems: LineProblem[] = [];
  const duplicates = new Set<string>();
  for (const { number, text: line } of contentLines(text)) {
    const colon = line.indexOf(':');
    if (colon < 0) {
      problems.push({ line: number, message: 'not of the form user:hash' });
      continue;
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (user === '') problems.push({ line: number, message: 'no user name before ":"' });
    else if (!isSupportedHash(hash)) problems.push({ line: number, message: `the hash of user ${JSON.stringify(user)} is not one that ${FLAGS} writes` });
    else if (users.has(user)) duplicates.add(user);
    else users.set(user, hash);
  }
  return { users, problems, duplicates: [...duplicates] };
}

/**
 * The hash an unknown user's password is checked against, so that a wrong user name costs as
 * much time as a wrong password: one of the file's own hashes of its most common scheme and
 * work factor (a fixed bcrypt hash would make unknown users slower than known ones in an apr1
 * file). Its result is never used. Null for a file without users: then there is no one to hide.
 */
export function decoyHash(users: ReadonlyMap<string, string>): string | null {
  const byCost = new Map<string, { hash: string; count: number }>();
  for (const hash of users.values()) {
    const cost = hashCost(hash);
    const seen = byCost.get(cost);
    if (seen) seen.count++;
    else byCost.set(cost, { hash, count: 1 });
  }
  let best: { hash: string; count: number } | null = null;
  for (const candidate of byCost.values()) if (!best || candidate.count > best.count) best = candidate;
  return best?.hash ?? null;
}
