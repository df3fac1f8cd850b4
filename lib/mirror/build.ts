/**
 * The pull-through cache's part of the composition root (lib/services/index.ts): with
 * mirroring.source set (and not `protocol: v1`), the V2 blob and manifest stores are the
 * proxying ones, wrapping the local stores; the V1 side gets its bring-in once the bridge exists.
 */
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import type { BridgeService } from '../services/bridge/index.js';
import type { Locks } from '../services/locks.js';
import { BlobStore } from '../services/v2/blobs.js';
import type { V2Hooks } from '../services/v2/hooks.js';
import { ManifestService } from '../services/v2/manifests.js';
import type { SigningKey } from '../services/v2/signing-key.js';
import type { StorageDriver } from '../storage/driver.js';
import { MirrorContext } from './context.js';
import { ProxyBlobStore } from './proxy-blobs.js';
import { ProxyManifestService } from './proxy-manifests.js';
import { mirrorIssues } from './scope.js';
import { V1PullThrough } from './v1-pull.js';

export interface V2Stores {
  blobs: BlobStore;
  manifests: ManifestService;
  /** the pull-through cache, when mirroring.source may be a V2 registry */
  mirror: MirrorContext | null;
  /** its V1 side, given the bridge */
  v1(bridge: BridgeService | null): V1PullThrough | null;
}

export function buildV2Stores(config: Readonly<Config>, storage: StorageDriver, log: Logger, hooks: V2Hooks, signingKey: SigningKey, locks: Locks): V2Stores {
  const { source } = config.mirroring;
  if (!source || config.mirroring.protocol === 'v1' || mirrorIssues(config.mirroring).length > 0) {
    const blobs = new BlobStore(storage, hooks);
    return { blobs, manifests: new ManifestService(storage, blobs, signingKey, hooks, config.v2_sparse_indexes, locks), mirror: null, v1: () => null };
  }
  const mirror = new MirrorContext({ ...config.mirroring, source }, storage, log, locks);
  const blobs = new ProxyBlobStore(storage, hooks, mirror);
  const manifests = new ProxyManifestService(storage, blobs, signingKey, hooks, config.v2_sparse_indexes, mirror, locks);
  return { blobs, manifests, mirror, v1: (bridge) => (bridge ? new V1PullThrough(mirror, blobs, manifests, bridge) : null) };
}
