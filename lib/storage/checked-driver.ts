/**
 * What every storage driver needs around it, in one wrapper, as distribution's
 * `registry/storage/driver/base/base.go` does for its drivers: a path or a range is checked
 * before the call reaches the driver, so drivers stay small and trust what they get, and,
 * given metrics, every call is counted by driver, operation and result, with the bytes it
 * moved. createStorage puts one around every driver it builds (Glance's alternate included),
 * and the shared driver suite runs every driver through it.
 *
 * Which paths an operation takes: the root (`''`) only for stat and list; every other
 * operation, both ends of a move included, needs a real key. A refused path is a StorageError
 * `invalid_path` naming the wrapped driver.
 *
 * What is counted: a call when it settles (a reader or writer when it is opened, a writer's
 * commit on its own); bytes read as a reader's chunks pass (counted, not copied), bytes
 * written when a writer commits.
 */
import { finished, pipeline, type Readable, Transform } from 'node:stream';
import type { Counter } from 'prom-client';
import type { StorageMetrics } from '../metrics/registry.js';
import {
  type Capabilities,
  checkPath,
  checkRange,
  type FileInfo,
  type Leftover,
  type LeftoverRule,
  type LocalFile,
  type ObjectWriter,
  type ReadOptions,
  STREAM_CHUNK,
  type StorageDriver,
} from './driver.js';
import { StorageError } from './errors.js';

type Operation = 'getContent' | 'putContent' | 'reader' | 'writer' | 'appender' | 'commit' | 'stat' | 'list' | 'delete' | 'move' | 'redirectUrl';

export class CheckedDriver implements StorageDriver {
  /** Offered only when the wrapped driver offers it. */
  readonly appender?: (path: string, at: number, signal?: AbortSignal) => Promise<ObjectWriter>;
  /** Offered only when the wrapped driver offers it (not counted: it is housekeeping, not traffic). */
  readonly leftovers?: (rule: LeftoverRule) => Promise<Leftover[]>;
  /** Offered only when the wrapped driver offers it; counted as a reader. */
  readonly openFile?: (path: string) => Promise<LocalFile>;

  private readonly bytesRead: Counter.Internal | undefined;
  private readonly bytesWritten: Counter.Internal | undefined;

  constructor(
    readonly inner: StorageDriver,
    private readonly metrics?: StorageMetrics,
  ) {
    this.bytesRead = metrics?.storageBytes.labels({ driver: inner.name, direction: 'read' });
    this.bytesWritten = metrics?.storageBytes.labels({ driver: inner.name, direction: 'written' });
    const append = inner.appender?.bind(inner);
    if (append) this.appender = async (path, at, signal) => this.countedWriter(await this.run('appender', [path], () => append(path, at, signal)));
    const leftovers = inner.leftovers?.bind(inner);
    if (leftovers) this.leftovers = leftovers;
    const open = inner.openFile?.bind(inner);
    if (open) {
      this.openFile = async (path) => {
        const file = await this.run('reader', [path], () => open(path));
        const bytes = this.bytesRead;
        return bytes ? { ...file, onRead: (n: number) => bytes.inc(n) } : file;
      };
    }
  }

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): Capabilities {
    return this.inner.capabilities;
  }

  async getContent(path: string, signal?: AbortSignal): Promise<Buffer> {
    const data = await this.run('getContent', [path], () => this.inner.getContent(path, signal));
    this.bytesRead?.inc(data.length);
    return data;
  }

  async putContent(path: string, data: Buffer | string, signal?: AbortSignal): Promise<void> {
    await this.run('putContent', [path], () => this.inner.putContent(path, data, signal));
    this.bytesWritten?.inc(Buffer.byteLength(data));
  }

  async reader(path: string, options: ReadOptions = {}): Promise<Readable> {
    const stream = await this.run('reader', [path], () => {
      checkRange(this.name, path, options);
      return this.inner.reader(path, options);
    });
    const bytes = this.bytesRead;
    return bytes ? counting(stream, (n) => bytes.inc(n)) : stream;
  }

  async writer(path: string, signal?: AbortSignal): Promise<ObjectWriter> {
    return this.countedWriter(await this.run('writer', [path], () => this.inner.writer(path, signal)));
  }

  stat(path: string, signal?: AbortSignal): Promise<FileInfo> {
    return this.run('stat', [path], () => this.inner.stat(path, signal), true);
  }

  list(dir: string, signal?: AbortSignal): Promise<string[]> {
    return this.run('list', [dir], () => this.inner.list(dir, signal), true);
  }

  delete(path: string, signal?: AbortSignal): Promise<void> {
    return this.run('delete', [path], () => this.inner.delete(path, signal));
  }

  move(from: string, to: string, signal?: AbortSignal): Promise<void> {
    return this.run('move', [from, to], () => this.inner.move(from, to, signal));
  }

  redirectUrl(path: string): Promise<string | null> {
    return this.run('redirectUrl', [path], () => this.inner.redirectUrl(path));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Check `paths`, then call, and count the outcome; a refusal is a rejected promise, as the driver's own errors are. */
  private async run<T>(op: Operation, paths: readonly string[], call: () => Promise<T>, allowRoot = false): Promise<T> {
    try {
      for (const path of paths) checkPath(this.name, path, allowRoot);
      const result = await call();
      this.metrics?.storageOperations.inc({ driver: this.name, op, result: 'ok' });
      return result;
    } catch (err) {
      this.metrics?.storageOperations.inc({ driver: this.name, op, result: resultOf(err) });
      throw err;
    }
  }

  private countedWriter(writer: ObjectWriter): ObjectWriter {
    const bytes = this.bytesWritten;
    if (!bytes) return writer;
    return {
      stream: writer.stream,
      size: writer.size,
      cancel: () => writer.cancel(),
      commit: async () => {
        await this.run('commit', [], () => writer.commit());
        bytes.inc(writer.size());
      },
    };
  }
}

function resultOf(err: unknown): string {
  if (err instanceof StorageError) return err.kind;
  return (err as Error)?.name === 'AbortError' ? 'aborted' : 'other';
}

/**
 * `source` with its bytes counted as they pass: the same chunks, not copies. Its failures reach
 * whoever reads the result; destroying the result destroys `source`, and the result closes
 * only once `source` has (a file handle or a socket released), as the driver's own stream did.
 */
function counting(source: Readable, count: (bytes: number) => void): Readable {
  const counted = new Transform({
    highWaterMark: STREAM_CHUNK,
    transform(chunk: Buffer, _encoding, done) {
      count(chunk.length);
      done(null, chunk);
    },
    destroy(err, done) {
      source.destroy();
      finished(source, () => done(err));
    },
  });
  pipeline(source, counted, () => {});
  return counted;
}
