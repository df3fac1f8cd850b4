/**
 * The groups of `auth.htpasswd.groups`, re-read when the file changes under the same rules as
 * the password file (watched-file.ts).
 */
import type { Logger } from '../logging/logger.js';
import { parseGroups } from './groups-format.js';
import { WatchedFile, type WatchOptions } from './watched-file.js';

export class GroupsFile {
  private readonly file: WatchedFile<ReadonlyMap<string, readonly string[]>>;

  /** Reads the file now; throws when it cannot be read or has a line that does not parse. */
  constructor(path: string, log: Logger, options: WatchOptions = {}) {
    this.file = new WatchedFile(path, 'groups file', readGroups, log, options);
  }

  /** The groups `user` is in; none for a user the file does not name. */
  groupsOf(user: string): string[] {
    return [...(this.file.current().get(user) ?? [])];
  }

  close(): void {
    this.file.close();
  }
}

function readGroups(text: string) {
  const { groupsOf, groups, problems } = parseGroups(text);
  return { value: groupsOf, entries: groups.size, problems };
}
