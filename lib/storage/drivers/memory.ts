/**
 * Objects in a Map. For unit tests and throw-away dev runs; it passes the same conformance
 * suite as the real drivers, so code tested on it behaves the same on them.
 */
import { addAbortSignal, Readable, Writable } from 'node:stream';
import type { Capabilities, FileInfo, ObjectWriter, ReadOptions, StorageDriver } from '../driver.js';
import { notFound } from '../errors.js';

interface Entry {
  data: Buffer;
  modTime: Date;
}

export class MemoryDriver implements StorageDriver {
  readonly name = 'memory';
  readonly capabilities: Capabilities = { ranges: true, redirect: false, localFiles: false };
  private readonly objects = new Map<string, Entry>();

  async getContent(path: string): Promise<Buffer> {
    return Buffer.from(this.entry(path).data);
  }

  async putContent(path: string, data: Buffer | string): Promise<void> {
    this.objects.set(path, { data: Buffer.from(data), modTime: new Date() });
  }

  async reader(path: string, options: ReadOptions = {}): Promise<Readable> {
    const { data } = this.entry(path);
    const start = Math.min(options.offset ?? 0, data.length);
    const end = options.length === undefined ? data.length : Math.min(data.length, start + options.length);
    const stream = Readable.from([data.subarray(start, end)].filter((b) => b.length > 0));
    return options.signal ? addAbortSignal(options.signal, stream) : stream;
  }

  async writer(path: string): Promise<ObjectWriter> {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        size += chunk.length;
        cb();
      },
    });
    return {
      stream,
      size: () => size,
      commit: async () => {
        if (done) throw new Error('writer already finished');
        done = true;
        this.objects.set(path, { data: Buffer.concat(chunks), modTime: new Date() });
      },
      cancel: async () => {
        done = true;
        stream.destroy();
      },
    };
  }

  async stat(path: string): Promise<FileInfo> {
    const file = this.objects.get(path);
    if (file) return { path, size: file.data.length, modTime: file.modTime, isDir: false };
    if (this.children(path).length > 0) return { path, size: 0, modTime: new Date(0), isDir: true };
    throw notFound(this.name, path);
  }

  async list(dir: string): Promise<string[]> {
    const children = this.children(dir);
    if (children.length === 0) throw notFound(this.name, dir);
    return children;
  }

  async delete(path: string): Promise<void> {
    const prefix = `${path}/`;
    let found = this.objects.delete(path);
    for (const key of [...this.objects.keys()]) {
      if (key.startsWith(prefix)) found = this.objects.delete(key) || found;
    }
    if (!found) throw notFound(this.name, path);
  }

  async move(from: string, to: string): Promise<void> {
    const entry = this.entry(from);
    this.objects.set(to, entry);
    this.objects.delete(from);
  }

  async redirectUrl(): Promise<string | null> {
    return null;
  }

  async close(): Promise<void> {}

  private entry(path: string): Entry {
    const entry = this.objects.get(path);
    if (!entry) throw notFound(this.name, path);
    return entry;
  }

  private children(dir: string): string[] {
    const prefix = dir === '' ? '' : `${dir}/`;
    const names = new Set<string>();
    for (const key of this.objects.keys()) {
      if (!key.startsWith(prefix)) continue;
      const name = key.slice(prefix.length).split('/')[0];
      if (name) names.add(prefix + name);
    }
    return [...names].sort();
  }
}
