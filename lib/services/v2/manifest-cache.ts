/**
 * Parsed manifests by digest, least recently used first out, bounded by bytes. Content under
 * a digest never changes, so an entry can never be stale; whether a repository may still
 * serve it is checked on every request through its links, never through this cache.
 */
import type { StoredManifest } from './manifests.js';

export class ManifestCache {
  private readonly entries = new Map<string, StoredManifest>();
  private bytes = 0;

  constructor(private readonly maxBytes = 32 * 1024 * 1024) {}

  get(digest: string): StoredManifest | undefined {
    const hit = this.entries.get(digest);
    if (hit) {
      this.entries.delete(digest);
      this.entries.set(digest, hit);
    }
    return hit;
  }

  set(manifest: StoredManifest): void {
    const key = manifest.digest.value;
    if (this.entries.has(key) || manifest.bytes.length > this.maxBytes / 4) return;
    this.entries.set(key, manifest);
    this.bytes += manifest.bytes.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes.length;
    }
  }
}
