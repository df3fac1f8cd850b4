/**
 * What every storage driver needs around it, in one wrapper, as distribution's
 * `registry/storage/driver/base/base.go` does for its drivers: a path or a range is checked
 * before the call reaches the driver, so drivers stay small and trust what they get.
 * createStorage puts one around every driver it builds (Glance's alternate included), and the
 * shared driver suite runs every driver through it.
 *
 * Which paths an operation takes: the root (`''`) only for stat and list; every other
 * operation, both ends of a move included, needs a real key. A refused path is a StorageError
 * `invalid_path` naming the wrapped driver.
 */
import type { Readable } from 'node:stream';
import { type Capabilities, checkPath, checkRange, type FileInfo, type ObjectWriter, type ReadOptions, type StorageDriver } from './driver.js';

export class CheckedDriver implements StorageDriver {
  /** Offered only when the wrapped driver offers it. */
  readonly appender?: (path: string, at: number, signal?: AbortSignal) => Promise<ObjectWriter>;

  constructor(readonly inner: StorageDriver) {
    const append = inner.appender?.bind(inner);
    if (append) this.appender = (path, at, signal) => this.checked([path], () => append(path, at, signal));
  }

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): Capabilities {
    return this.inner.capabilities;
  }

  getContent(path: string, signal?: AbortSignal): Promise<Buffer> {
    return this.checked([path], () => this.inner.getContent(path, signal));
  }

  putContent(path: string, data: Buffer | string, signal?: AbortSignal): Promise<void> {
    return this.checked([path], () => this.inner.putContent(path, data, signal));
  }

  reader(path: string, options: ReadOptions = {}): Promise<Readable> {
    return this.checked([path], () => {
      checkRange(this.name, path, options);
      return this.inner.reader(path, options);
    });
  }

  writer(path: string, signal?: AbortSignal): Promise<ObjectWriter> {
    return this.checked([path], () => this.inner.writer(path, signal));
  }

  stat(path: string, signal?: AbortSignal): Promise<FileInfo> {
    return this.checked([path], () => this.inner.stat(path, signal), true);
  }

  list(dir: string, signal?: AbortSignal): Promise<string[]> {
    return this.checked([dir], () => this.inner.list(dir, signal), true);
  }

  delete(path: string, signal?: AbortSignal): Promise<void> {
    return this.checked([path], () => this.inner.delete(path, signal));
  }

  move(from: string, to: string, signal?: AbortSignal): Promise<void> {
    return this.checked([from, to], () => this.inner.move(from, to, signal));
  }

  redirectUrl(path: string): Promise<string | null> {
    return this.checked([path], () => this.inner.redirectUrl(path));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Check `paths`, then call; a refusal is a rejected promise, as the driver's own errors are. */
  private async checked<T>(paths: readonly string[], call: () => Promise<T>, allowRoot = false): Promise<T> {
    for (const path of paths) checkPath(this.name, path, allowRoot);
    return call();
  }
}
