/**
 * `cache_lru` (spec v1 §8.3): docker-registry's write-through Redis cache of small objects,
 * with its key format (`cache_path:` + storage_path + path, no separator), so a Python
 * registry and Berth can share one Redis. Only image objects (`images/…`: JSON, ancestry,
 * checksums, file lists) go through it: they are read on every pull and seldom written, and
 * no directory delete ever removes them, which is what would leave stale keys behind (the old
 * cache evicted only a deleted path's own key). Unlike the old cache, a put always reaches
 * storage, also when Redis already holds the same bytes. Layers and everything else are
 * passed straight to the driver.
 */
import type { RedisCache } from '../../cache/redis-cache.js';
import type { ObjectWriter, ReadOptions, StorageDriver } from '../driver.js';

const CACHED = /^images\//;

export class LruCachedDriver implements StorageDriver {
  constructor(
    readonly inner: StorageDriver,
    readonly cache: RedisCache,
    private readonly storagePath: string | null,
  ) {
    // Offered only when the wrapped driver offers it (upload data is never cached).
    if (inner.appender) Object.assign(this, { appender: inner.appender.bind(inner) });
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
    await this.cache.set(this.key(path), data);
    return data;
  }

  async putContent(path: string, data: Buffer | string, signal?: AbortSignal): Promise<void> {
    if (!CACHED.test(path)) return this.inner.putContent(path, data, signal);
    // Storage first: Redis must never hold what storage does not.
    await this.cache.del(this.key(path));
    await this.inner.putContent(path, data, signal);
    await this.cache.set(this.key(path), data);
  }

  async delete(path: string, signal?: AbortSignal): Promise<void> {
    if (CACHED.test(path)) await this.cache.del(this.key(path));
    return this.inner.delete(path, signal);
  }

  async move(from: string, to: string, signal?: AbortSignal): Promise<void> {
    const keys = [from, to].filter((p) => CACHED.test(p)).map((p) => this.key(p));
    if (keys.length > 0) await this.cache.del(...keys);
    return this.inner.move(from, to, signal);
  }

  async writer(path: string, signal?: AbortSignal): Promise<ObjectWriter> {
    const writer = await this.inner.writer(path, signal);
    if (!CACHED.test(path)) return writer;
    const commit = writer.commit.bind(writer);
    return {
      ...writer,
      stream: writer.stream,
      size: writer.size,
      commit: async () => {
        await this.cache.del(this.key(path));
        await commit();
      },
    };
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
