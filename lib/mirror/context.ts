/**
 * What the pull-through cache's stores share: the upstream, the names it fetches, its records,
 * and whether the source is a V2 registry at all (mirroring.protocol, or `auto`: asked once, by
 * its `/v2/` answer, as a Docker client tells a V2 registry; a source that cannot be reached is
 * asked again at the next request). With a V1 source, the V2 stores are the local ones and the
 * V1 routes follow it as they always did (services/v1/mirror.ts).
 */
import type { Digest } from '../checksums/digest.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import type { Locks } from '../services/locks.js';
import type { StorageDriver } from '../storage/driver.js';
import { MirrorRecords } from './records.js';
import { MirrorScope } from './scope.js';
import { V2Upstream } from './upstream.js';
import { UpstreamUnavailable } from './upstream-errors.js';

export class MirrorContext {
  readonly upstream: V2Upstream;
  readonly scope: MirrorScope;
  readonly records: MirrorRecords;
  /** seconds a manifest fetched by tag is served before the tag is checked again */
  readonly manifestsTtl: number;
  readonly pinned: ReadonlyArray<{ name: string; tag: string }>;
  private protocol: Promise<'v1' | 'v2'> | null;

  constructor(
    readonly settings: Readonly<Config['mirroring']> & { source: string },
    storage: StorageDriver,
    readonly log: Logger,
    /** the server's locks: a blob's links, its record and eviction's delete go under its blob lock */
    readonly locks: Locks,
  ) {
    this.upstream = new V2Upstream(settings, log);
    this.scope = new MirrorScope(settings);
    this.records = new MirrorRecords(storage, locks);
    this.manifestsTtl = settings.manifests_cache_ttl ?? 300;
    this.pinned = settings.pinned.map((p) => {
      const colon = p.lastIndexOf(':');
      return { name: p.slice(0, colon), tag: p.slice(colon + 1) };
    });
    this.protocol = settings.protocol === 'auto' ? null : Promise.resolve(settings.protocol);
  }

  /** Whether the source is a V2 registry; false while an `auto` source cannot be reached (then only what is here is served). */
  async isV2(): Promise<boolean> {
    this.protocol ??= this.detect();
    try {
      return (await this.protocol) === 'v2';
    } catch (err) {
      if (err instanceof UpstreamUnavailable) return false;
      throw err;
    }
  }

  /** Whether the source is, or may be (`auto`, not reached yet), a V2 registry: writes are refused until it is known to be V1. */
  async mayBeV2(): Promise<boolean> {
    this.protocol ??= this.detect();
    return this.protocol.then(
      (p) => p === 'v2',
      () => true,
    );
  }

  /** Whether a miss on this repository is asked of the upstream. */
  async fetches(name: string): Promise<boolean> {
    return this.scope.fetches(name) && (await this.isV2());
  }

  pullScope(name: string): string {
    return `repository:${this.scope.upstreamName(name)}:pull`;
  }

  blobPath(name: string, digest: Digest): string {
    return `/v2/${this.scope.upstreamName(name)}/blobs/${digest.value}`;
  }

  manifestPath(name: string, reference: string): string {
    return `/v2/${this.scope.upstreamName(name)}/manifests/${encodeURIComponent(reference)}`;
  }

  tagsPath(name: string): string {
    return `/v2/${this.scope.upstreamName(name)}/tags/list`;
  }

  /**
   * A source that still answers V1 (`/v1/_ping`) is followed as a V1 source, as before this
   * mode existed (a Berth speaks both: `protocol: v2` makes it a V2 source). Otherwise V2 is
   * told by `/v2/`: a 200, or a 401 naming `Docker-Distribution-API-Version: registry/2.0`.
   */
  private async detect(): Promise<'v1' | 'v2'> {
    try {
      const v1 = await this.upstream.request({ method: 'GET', path: '/v1/_ping', scope: '' });
      await v1.body?.cancel().catch(() => {});
      if (v1.status === 200) {
        this.log.info({ source: this.upstream.shown, protocol: 'v1' }, 'mirror: source protocol detected');
        return 'v1';
      }
      const res = await this.upstream.request({ method: 'GET', path: '/v2/', scope: '' });
      await res.body?.cancel().catch(() => {});
      const v2 = res.status === 200 || (res.headers.get('docker-distribution-api-version') ?? '').startsWith('registry/2');
      this.log.info({ source: this.upstream.shown, protocol: v2 ? 'v2' : 'v1' }, 'mirror: source protocol detected');
      return v2 ? 'v2' : 'v1';
    } catch (err) {
      if (err instanceof UpstreamUnavailable) this.protocol = null; // ask again next time
      throw err;
    }
  }
}
