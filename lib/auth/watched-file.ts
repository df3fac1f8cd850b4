/**
 * A small file that operators edit while Berth runs (htpasswd, htgroup), re-read when it
 * changes, without a restart.
 *
 * How a change is noticed: on use, at most once a second, one stat() of the path, compared with
 * the last one by device, inode, size, mtime and ctime. Not fs.watch: it follows the inode it
 * was opened on, so it goes deaf once an editor, `mv` or Kubernetes' ConfigMap symlink swap
 * puts a new file in place, and it is unreliable on network filesystems. A stat a second on
 * use costs nothing and holds no handle; an idle server does no work at all.
 *
 * What a bad change does: nothing but a warning. `htpasswd` itself rewrites the file in place
 * (httpd `support/htpasswd.c` copies its temp file over the old one with apr_file_copy, which
 * truncates first), so a reader can catch it empty or cut in the middle of a line. A file that
 * cannot be read, has a line that does not parse, or is suddenly empty while the last good one
 * had entries leaves the last good content in force: locking everyone out is worse than
 * keeping the old passwords for the moment the write takes. Emptying a file on purpose still works: a file with only a comment line
 * in it is a deliberate "nobody". Each bad version is reported once, not once a second.
 */
import { readFileSync, type Stats, statSync } from 'node:fs';
import type { Logger } from '../logging/logger.js';
import { describeProblem, type LineProblem } from './file-lines.js';

export interface FileContent<T> {
  value: T;
  /** how many users or groups it holds */
  entries: number;
  problems: readonly LineProblem[];
}

export interface WatchOptions {
  /** the least time between two stat()s; 0 checks on every use (tests) */
  checkEveryMs?: number;
  now?: () => number;
}

export class WatchedFile<T> {
  private value: T;
  private entries: number;
  private seen: string;
  private checkedAt: number;
  private closed = false;
  private readonly checkEveryMs: number;
  private readonly now: () => number;

  /** Reads the file now; throws when it cannot be read or does not parse (startup validation has said why). */
  constructor(
    readonly path: string,
    /** what the file is, for messages: `htpasswd file` */
    private readonly what: string,
    private readonly parse: (text: string) => FileContent<T>,
    private readonly log: Logger,
    options: WatchOptions = {},
  ) {
    this.checkEveryMs = options.checkEveryMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.seen = fingerprint(statSync(path));
    const content = parse(readFileSync(path, 'utf8'));
    if (content.problems.length > 0) throw new Error(`${what} ${path}: ${content.problems.map(describeProblem).join('; ')}`);
    this.value = content.value;
    this.entries = content.entries;
    this.checkedAt = this.now();
  }

  /** The content in force, re-read first if the file changed since the last look. */
  current(): T {
    const now = this.now();
    if (!this.closed && now - this.checkedAt >= this.checkEveryMs) {
      this.checkedAt = now;
      this.reloadIfChanged();
    }
    return this.value;
  }

  /** Stop looking at the file; the content in force stays. */
  close(): void {
    this.closed = true;
  }

  private reloadIfChanged(): void {
    let stats: Stats;
    try {
      stats = statSync(this.path);
    } catch (err) {
      this.keep('missing', `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return;
    }
    const seen = fingerprint(stats);
    if (seen === this.seen) return;
    // Fingerprinted before reading: a write that lands after the read changes it again.
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      this.keep(seen, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return;
    }
    const content = this.parse(text);
    if (content.problems.length > 0) {
      this.keep(seen, `has lines that do not parse (${content.problems.map(describeProblem).join('; ')})`);
      return;
    }
    if (text.trim() === '' && this.entries > 0) {
      this.keep(seen, 'is empty (to remove every entry on purpose, leave a comment line in it)');
      return;
    }
    this.seen = seen;
    this.value = content.value;
    this.entries = content.entries;
    this.log.info({ path: this.path, entries: content.entries }, `${this.what} reloaded`);
  }

  /** Warn once about this version of the file; the last good content stays in force. */
  private keep(seen: string, why: string): void {
    if (seen === this.seen) return;
    this.seen = seen;
    this.log.warn({ path: this.path, entries: this.entries }, `${this.what} ${this.path} ${why}; keeping the last good version`);
  }
}

function fingerprint(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}
