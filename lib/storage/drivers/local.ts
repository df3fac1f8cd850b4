/**
 * Files under `storage_path`, in exactly the layout docker-registry wrote, so an existing
 * directory is served as-is. Every write goes to a hidden temp file in the target directory
 * and is renamed into place, so a reader sees the old object or the new one, never half.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type Capabilities, checkPath, type FileInfo, type ObjectWriter, type ReadOptions, type StorageDriver } from '../driver.js';
import { driverFailure, notFound } from '../errors.js';

const TEMP_PREFIX = '.berth-tmp-';

export class LocalDriver implements StorageDriver {
  readonly name = 'local';
  readonly capabilities: Capabilities = { ranges: true, redirect: false };
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Absolute file path of a key; exposed for nginx X-Accel-Redirect. */
  fullPath(key: string, allowRoot = false): string {
    return path.join(this.root, checkPath(this.name, key, allowRoot));
  }

  async getContent(key: string): Promise<Buffer> {
    const file = this.fullPath(key);
    try {
      return await fs.readFile(file);
    } catch (err) {
      throw this.mapError(err, key);
    }
  }

  async putContent(key: string, data: Buffer | string): Promise<void> {
    const file = this.fullPath(key);
    const temp = await this.tempFor(file, key);
    try {
      await fs.writeFile(temp, data);
      await fs.rename(temp, file);
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw this.mapError(err, key);
    }
  }

  async reader(key: string, options: ReadOptions = {}): Promise<Readable> {
    const file = this.fullPath(key);
    const handle = await fs.open(file, 'r').catch((err) => {
      throw this.mapError(err, key);
    });
    const start = options.offset ?? 0;
    const end = options.length === undefined ? undefined : start + options.length - 1;
    if (options.length === 0) {
      await handle.close();
      return Readable.from([]);
    }
    return createReadStream('', {
      fd: handle,
      start,
      ...(end === undefined ? {} : { end }),
      highWaterMark: 1 << 20,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async writer(key: string): Promise<ObjectWriter> {
    const file = this.fullPath(key);
    const temp = await this.tempFor(file, key);
    const stream = createWriteStream(temp, { highWaterMark: 1 << 20 });
    let done = false;
    const cancel = async () => {
      if (done) return;
      done = true;
      stream.destroy();
      await fs.rm(temp, { force: true });
    };
    return {
      stream,
      size: () => stream.bytesWritten + stream.writableLength,
      commit: async () => {
        if (done) throw driverFailure(this.name, key, new Error('writer already finished'));
        try {
          if (!stream.writableEnded) stream.end();
          await finished(stream);
          await fs.rename(temp, file);
          done = true;
        } catch (err) {
          await cancel();
          throw this.mapError(err, key);
        }
      },
      cancel,
    };
  }

  async stat(key: string): Promise<FileInfo> {
    try {
      const s = await fs.stat(this.fullPath(key, true));
      return { path: key, size: s.isDirectory() ? 0 : s.size, modTime: s.mtime, isDir: s.isDirectory() };
    } catch (err) {
      throw this.mapError(err, key);
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      const names = await fs.readdir(this.fullPath(dir, true));
      return names
        .filter((n) => !n.startsWith(TEMP_PREFIX))
        .sort()
        .map((n) => (dir ? `${dir}/${n}` : n));
    } catch (err) {
      throw this.mapError(err, dir);
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.fullPath(key);
    try {
      await fs.lstat(file);
      await fs.rm(file, { recursive: true, force: true });
    } catch (err) {
      throw this.mapError(err, key);
    }
  }

  async move(from: string, to: string): Promise<void> {
    const src = this.fullPath(from);
    const dst = this.fullPath(to);
    try {
      await fs.mkdir(path.dirname(dst), { recursive: true });
      await fs.rename(src, dst);
    } catch (err) {
      throw this.mapError(err, from);
    }
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}

  private async tempFor(file: string, key: string): Promise<string> {
    const dir = path.dirname(file);
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      throw this.mapError(err, key);
    }
    return path.join(dir, `${TEMP_PREFIX}${path.basename(file)}.${randomBytes(6).toString('hex')}`);
  }

  private mapError(err: unknown, key: string): Error {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return notFound(this.name, key);
    if (err instanceof Error && err.name === 'StorageError') return err;
    return driverFailure(this.name, key, err);
  }
}
