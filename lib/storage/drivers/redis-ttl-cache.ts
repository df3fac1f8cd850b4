/**
 * `cache_lru` (docker/docker-registry `depends/docker-registry-core/docker_registry/core/lru.py`):
 * docker-registry's Redis cache of small objects, with its key format (`cache_path:` +
 * storage_path + path, no separator), so a Python registry and Berth can share one Redis. The
 * config key says LRU; what this wrapper does is put a TTL on every fill (any other eviction is
 * Redis's own `maxmemory-policy`), hence its name. Only image objects (`images/…`: JSON, ancestry,
 * checksums, file lists) are cached on read: they are read on every pull and seldom written. Every
 * write, move and delete of any path drops the path's key before and after storage changes (a
 * Python registry sharing the Redis may have cached it), and a directory delete drops the keys
 * under it, which the old cache never did. Storage is the truth: a put always reaches it, the
 * cache is filled only from what storage answered, and a fill expires after an hour, which bounds
 * the one race left (a read that started before a write and fills after it).
 */
import type { RedisCache } from '../../cache/redis-cache.js';
import type { ObjectWriter, ReadOptions, StorageDriver } from '../driver.js';

const CACHED = /^images\//;
const FILL_TTL_SECONDS = 3600;

export class RedisTtlCacheDriver implements StorageDriver {
  constructor(
    readonly inner: StorageDriver,
    readonly cache: RedisCache,
    private readonly storagePath: string | null,
  ) {
    // Offered only when the wrapped driver offers it (upload data and leftovers are never cached).
    if (inner.appender) Object.assign(this, { appender: inner.appender.bind(inner) });
    if (inner.leftovers) Object.assign(this, { leftovers: inner.leftovers.bind(inner) });
  }

  get name(): string {
    return this.inner.name;
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  /** docker-registry's key: `cache_path:/registryimages/<id>/json` for storage_path /registry. */
  key(path: string): string {
    return `cache_path:${this.storagePath ?? '/'}${path}`;
  }

  async getContent(path: string, signal?: AbortSignal): Promise<Buffer> {
    if (!CACHED.test(path)) return this.inner.getContent(path, signal);
    const hit = await this.cache.get(this.key(path));
    if (hit) return hit;
    const data = await this.inner.getContent(path, signal);
    await this.cache.set(this.key(path), data, FILL_TTL_SECONDS);
    return data;
  }

  async putContent(path: string, data: Buffer | string, signal?: AbortSignal): Promise<void> {
    await this.changing([path], () => this.inner.putContent(path, data, signal));
  }

  async delete(path: string, signal?: AbortSignal): Promise<void> {
    // Only a directory has keys under it; the sweep SCANs all of Redis, so files skip it.
    const isDir = await this.inner.stat(path, signal).then(
      (info) => info.isDir,
      () => false,
    );
    await this.changing([path], () => this.inner.delete(path, signal));
    if (isDir) await this.cache.delPrefix(`${this.key(path).replace(/\/+$/, '')}/`);
  }

  async move(from: string, to: string, signal?: AbortSignal): Promise<void> {
    await this.changing([from, to], () => this.inner.move(from, to, signal));
  }

  async writer(path: string, signal?: AbortSignal): Promise<ObjectWriter> {
    const writer = await this.inner.writer(path, signal);
    return {
      stream: writer.stream,
      size: writer.size,
      cancel: () => writer.cancel(),
      commit: () => this.changing([path], () => writer.commit()),
    };
  }

  /** Drop the keys of `paths` around a storage change, so no reader keeps the old bytes. */
  private async changing(paths: string[], change: () => Promise<void>): Promise<void> {
    const keys = paths.map((p) => this.key(p));
    await this.cache.del(...keys);
    try {
      await change();
    } finally {
      // Also when the change failed: it may have landed all the same (an S3 PUT whose answer was lost).
      await this.cache.del(...keys);
    }
  }

  reader(path: string, options?: ReadOptions) {
    return this.inner.reader(path, options);
  }

  stat(path: string, signal?: AbortSignal) {
    return this.inner.stat(path, signal);
  }

  list(dir: string, signal?: AbortSignal) {
    return this.inner.list(dir, signal);
  }

  redirectUrl(path: string) {
    return this.inner.redirectUrl(path);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.cache.close(), this.inner.close()]);
  }
}
