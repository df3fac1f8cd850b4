/**
 * Files under `storage_path`, in exactly the layout docker-registry wrote, so an existing
 * directory is served as-is. Every write goes to a hidden temp file in the target directory,
 * is flushed to disk, and is renamed into place: a reader sees the old object or the new one,
 * never half of one, even after a crash. Directories that a delete or move empties are
 * removed, so that the tree behaves like S3's (a directory exists while it holds something).
 * A temp file's name says which process writes it (writer-id.ts), so that the ones a crash
 * left behind can be told from those of live writers and reclaimed (`leftovers`).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  type Capabilities,
  type FileInfo,
  type Leftover,
  type LeftoverRule,
  type LocalFile,
  type ObjectWriter,
  type ReadOptions,
  STREAM_CHUNK,
  type StorageDriver,
} from '../driver.js';
import { driverFailure, isNoSpace, noSpace, notFound, StorageError } from '../errors.js';
import { hostId, processAlive, reclaimReason, TEMP_PREFIX, tempName } from '../writer-id.js';
import { FileRangeReader } from './file-range-reader.js';

export class LocalDriver implements StorageDriver {
  readonly name = 'local';
  readonly capabilities: Capabilities = { ranges: true, redirect: false, localFiles: true };
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** The file of a key (the root for ''); keys arrive checked (CheckedDriver), so it stays under the root. */
  private fullPath(key: string): string {
    return path.join(this.root, key);
  }

  async getContent(key: string): Promise<Buffer> {
    const file = this.fullPath(key);
    return fs.readFile(file).catch((err) => this.fail(err, key));
  }

  async putContent(key: string, data: Buffer | string): Promise<void> {
    const file = this.fullPath(key);
    const { temp, handle } = await this.openTemp(file, key);
    try {
      await handle.writeFile(data);
      await handle.sync();
      await handle.close();
      await fs.rename(temp, file);
    } catch (err) {
      await handle.close().catch(() => {});
      await fs.rm(temp, { force: true });
      await this.pruneEmptyParents(temp); // a write that did not happen leaves no directory behind
      this.failWrite(err, key);
    }
  }

  async openFile(key: string): Promise<LocalFile> {
    const handle = await fs.open(this.fullPath(key), 'r').catch((err) => this.fail(err, key));
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw notFound(this.name, key);
      return { handle, size: info.size };
    } catch (err) {
      await handle.close();
      this.fail(err, key);
    }
  }

  async reader(key: string, options: ReadOptions = {}): Promise<Readable> {
    const { handle, size } = await this.openFile(key);
    if (options.length === 0) {
      await handle.close();
      return Readable.from([]);
    }
    const start = Math.min(options.offset ?? 0, size);
    const end = options.length === undefined ? size : Math.min(start + options.length, size);
    const stream = new FileRangeReader(handle, start, end);
    return options.signal ? addAbortSignal(options.signal, stream) : stream;
  }

  async writer(key: string): Promise<ObjectWriter> {
    const file = this.fullPath(key);
    const { temp, handle } = await this.openTemp(file, key);
    // flush: the data is on disk before the rename publishes it.
    const stream = createWriteStream('', { fd: handle, highWaterMark: STREAM_CHUNK, flush: true });
    return this.objectWriter(
      key,
      stream,
      () => fs.rename(temp, file),
      async () => {
        await fs.rm(temp, { force: true });
        await this.pruneEmptyParents(temp); // a write that did not happen leaves no directory behind
      },
    );
  }

  /**
   * Append to `key` in place from byte `at` (created if missing). Not atomic like writer():
   * meant for objects no reader serves (V2 upload data). A cancelled append is rolled back by
   * truncating to `at`, so only whole chunks stay.
   */
  async appender(key: string, at: number): Promise<ObjectWriter> {
    const file = this.fullPath(key);
    const handle = await this.retryIfPruned(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      return fs.open(file, 'a');
    }).catch((err) => this.fail(err, key));
    const size = (await handle.stat()).size;
    if (size < at) {
      await handle.close();
      throw driverFailure(this.name, key, new Error(`holds ${size} bytes, expected at least ${at}`));
    }
    if (size > at) await handle.truncate(at);
    const start = at;
    // Not flushed per chunk: move() flushes the whole file once, before it becomes visible.
    const stream = createWriteStream('', { fd: handle, highWaterMark: STREAM_CHUNK });
    return this.objectWriter(
      key,
      stream,
      async () => {},
      () => fs.truncate(file, start).catch(() => {}),
    );
  }

  /** commit: finish the stream, then `publish`; cancel (or a failed commit): stop it, then `discard`. */
  private objectWriter(key: string, stream: WriteStream, publish: () => Promise<void>, discard: () => Promise<void>): ObjectWriter {
    let done = false;
    const cancel = async () => {
      if (done) return;
      done = true;
      stream.destroy();
      await finished(stream).catch(() => {});
      await discard();
    };
    return {
      stream,
      size: () => stream.bytesWritten + stream.writableLength,
      commit: async () => {
        if (done) throw driverFailure(this.name, key, new Error('writer already finished'));
        try {
          if (!stream.writableEnded) stream.end();
          await finished(stream);
          await publish();
          done = true;
        } catch (err) {
          await cancel();
          this.failWrite(err, key);
        }
      },
      cancel,
    };
  }

  async stat(key: string): Promise<FileInfo> {
    const s = await fs.stat(this.fullPath(key)).catch((err) => this.fail(err, key));
    if (s.isDirectory()) await this.list(key); // an emptied directory is missing, as on S3
    return { path: key, size: s.isDirectory() ? 0 : s.size, modTime: s.mtime, isDir: s.isDirectory() };
  }

  async list(dir: string): Promise<string[]> {
    const entries = await fs.readdir(this.fullPath(dir)).catch((err) => this.fail(err, dir));
    const names = entries.filter((n) => !n.startsWith(TEMP_PREFIX));
    if (names.length === 0) throw notFound(this.name, dir);
    return names.sort().map((n) => (dir ? `${dir}/${n}` : n));
  }

  async delete(key: string): Promise<void> {
    const file = this.fullPath(key);
    await fs.lstat(file).catch((err) => this.fail(err, key));
    await fs.rm(file, { recursive: true, force: true }).catch((err) => this.fail(err, key));
    await this.pruneEmptyParents(file);
  }

  async move(from: string, to: string): Promise<void> {
    const src = this.fullPath(from);
    const dst = this.fullPath(to);
    const info = await fs.lstat(src).catch((err) => this.fail(err, from));
    // A file appended in place (V2 upload data) was never flushed: it reaches the disk before
    // the rename makes it visible, as writer() does for what it publishes.
    if (info.isFile()) {
      const handle = await fs.open(src, 'r').catch((err) => this.fail(err, from));
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
    }
    await this.retryIfPruned(async () => {
      await fs.mkdir(path.dirname(dst), { recursive: true });
      await fs.rename(src, dst);
    }).catch((err) => this.fail(err, from));
    await this.pruneEmptyParents(src);
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}

  /**
   * Temp files anywhere under the root whose writer is gone (writer-id.ts: a dead pid of this
   * host, or silence longer than `rule.maxAgeMs`). Removing one prunes the directories it
   * alone kept. Symbolic links are not followed.
   */
  async leftovers(rule: LeftoverRule): Promise<Leftover[]> {
    const ctx = { host: hostId(), now: rule.now ?? Date.now(), maxAgeMs: rule.maxAgeMs, alive: processAlive };
    const found: Leftover[] = [];
    const pending = [this.root];
    while (pending.length > 0) {
      rule.signal?.throwIfAborted();
      const dir = pending.pop() as string;
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        // Gone meanwhile (a delete pruned it), or not ours to read: nothing to reclaim there.
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'EACCES') return [];
        throw driverFailure(this.name, path.relative(this.root, dir), err);
      });
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) pending.push(full);
        if (!entry.isFile() || !entry.name.startsWith(TEMP_PREFIX)) continue;
        const info = await fs.lstat(full).catch(() => null);
        if (!info) continue; // its writer renamed or removed it meanwhile
        const reason = reclaimReason({ name: entry.name, modifiedMs: info.mtimeMs }, ctx);
        if (!reason) continue;
        found.push({
          kind: 'temp-file',
          name: path.relative(this.root, full),
          size: info.size,
          lastActive: info.mtime,
          reason,
          remove: async () => {
            // Judged again at the last moment: a file written to since is kept.
            const now = await fs.lstat(full).catch(() => null);
            if (!now) return;
            if (!reclaimReason({ name: entry.name, modifiedMs: now.mtimeMs }, { ...ctx, now: Math.max(ctx.now, Date.now()) })) {
              throw driverFailure(this.name, path.relative(this.root, full), new Error('written to meanwhile; kept'));
            }
            await fs.rm(full, { force: true });
            await this.pruneEmptyParents(full);
          },
        });
      }
    }
    return found;
  }

  /** A new temp file beside `file`, created exclusively, named after its writer (writer-id.ts). */
  private async openTemp(file: string, key: string): Promise<{ temp: string; handle: FileHandle }> {
    const temp = path.join(path.dirname(file), tempName(path.basename(file)));
    const handle = await this.retryIfPruned(async () => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      return fs.open(temp, 'wx');
    }).catch((err) => this.fail(err, key));
    return { temp, handle };
  }

  /** A concurrent delete may prune the directory between our mkdir and our write: make it again. */
  private async retryIfPruned<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw err;
      }
    }
  }

  /** rmdir each parent up to the root while it is empty; rmdir refuses a non-empty one, so this is race-safe. */
  private async pruneEmptyParents(file: string): Promise<void> {
    for (let dir = path.dirname(file); dir.startsWith(this.root + path.sep); dir = path.dirname(dir)) {
      try {
        await fs.rmdir(dir);
      } catch {
        return;
      }
    }
  }

  /** A write whose temp file vanished (a concurrent delete of its directory) failed; the object is not "missing". */
  private failWrite(err: unknown, key: string): never {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') throw driverFailure(this.name, key, err);
    this.fail(err, key);
  }

  private fail(err: unknown, key: string): never {
    if (err instanceof StorageError) throw err;
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') throw notFound(this.name, key);
    if (isNoSpace(err)) throw noSpace(this.name, key, err);
    throw driverFailure(this.name, key, err);
  }
}
