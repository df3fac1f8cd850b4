/**
 * The one place services are built: the server and every operator tool call buildServices on
 * the object graph of deps.ts and get the same V1 and V2 services over the same locks. Routers
 * only mount routes over what they are given; background work lives in lib/jobs/.
 */
import { type AuthServices, buildAuth } from '../auth/auth-services.js';
import { uiServed } from '../config/features.js';
import type { Deps } from '../deps.js';
import { buildV2Stores } from '../mirror/build.js';
import type { MirrorContext } from '../mirror/context.js';
import type { V1PullThrough } from '../mirror/v1-pull.js';
import { ActivityRecord } from './activity/activity-record.js';
import { BridgeService } from './bridge/index.js';
import type { Takeover } from './host-lock.js';
import type { Locks } from './locks.js';
import { sharedLocking } from './shared-locking.js';
import { UiService } from './ui/index.js';
import type { V1Hooks } from './v1/hooks.js';
import { ImageService } from './v1/images.js';
import { IndexImagesService } from './v1/index-images.js';
import { IndexTokens } from './v1/index-tokens.js';
import { DiffService } from './v1/layer-diff.js';
import { Mirror } from './v1/mirror.js';
import { RepositoryImages } from './v1/repository-images.js';
import { SearchService } from './v1/search.js';
import { SharedSearchEvents } from './v1/search-events.js';
import { TagService } from './v1/tags.js';
import { TokenService } from './v1/tokens.js';
import type { BlobStore } from './v2/blobs.js';
import { CatalogService } from './v2/catalog.js';
import type { V2Hooks } from './v2/hooks.js';
import type { ManifestService } from './v2/manifests.js';
import { ReferrersService } from './v2/referrers.js';
import { SigningKey } from './v2/signing-key.js';
import { UploadService } from './v2/uploads.js';

export interface V1Services {
  images: ImageService;
  tags: TagService;
  /** which images a repository holds (a V1 token for one repository opens only its images) */
  repositoryImages: RepositoryImages;
  /** the standalone index's repository image lists */
  index: IndexImagesService;
  /** the tokens the standalone index hands out */
  indexTokens: IndexTokens;
  /** token mode: tokens of an external index, validated against it */
  tokens: TokenService;
  /** `/v1/search`, when search_backend is set */
  search: SearchService | null;
  /** the other instances' repository changes for the search index, when search_backend and the `cache` Redis are set */
  searchEvents: SharedSearchEvents | null;
  /** `/diff` and its queue, when the `cache` Redis is set */
  diffs: DiffService | null;
  /** mirror mode, when mirroring.source is set */
  mirror: Mirror | null;
  /** a pull-through cache of a V2 source, for V1 clients (through the bridge) */
  pullThrough?: V1PullThrough | null;
}

export interface V2Services {
  blobs: BlobStore;
  uploads: UploadService;
  manifests: ManifestService;
  referrers: ReferrersService;
  catalog: CatalogService;
}

export interface Services {
  /** per-image and per-upload locks: in lock_dir for the processes of one host, in the `cache` Redis for several instances */
  locks: Locks;
  v1: V1Services;
  v2: V2Services;
  /** V1 ⇄ V2, unless `bridge: false` */
  bridge: BridgeService | null;
  /** Berth's own access control, when `auth:` is set */
  auth: AuthServices | null;
  /** the pull-through cache of a V2 source, when mirroring.source may be one */
  mirror: MirrorContext | null;
  /** the clients seen, for the web page's migration view (when `ui` is on) */
  activity: ActivityRecord | null;
  /** what the web page at /ui/ reads and does (when `ui` is on) */
  ui: UiService | null;
}

export function buildServices(deps: Deps): Services {
  const { config, storage } = deps;
  const tookOver =
    (kind: 'lock' | 'push', what: string) =>
    ({ key, reason, holder }: Takeover) => {
      deps.metrics.lockTakeovers.inc({ kind, reason });
      deps.log.warn({ lock: key, reason, holder }, what);
    };
  const { locks, leases } = sharedLocking(config, deps.cache, deps.log, {
    lock: tookOver('lock', 'took over a lock its holder left'),
    push: tookOver('push', 'took over the push of a V1 image that its client or process left unfinished'),
  });
  const auth = buildAuth(config, deps.log);

  // The bridge follows both protocols through their hooks; they are filled in once it exists.
  const v1Hooks: V1Hooks = {};
  const v2Hooks: V2Hooks = {};

  const search = deps.search ? new SearchService(deps.search, storage) : null;
  const searchEvents = search && deps.cache ? new SharedSearchEvents(deps.cache, search.onRepository, deps.log) : null;
  const onRepository = searchEvents?.onRepository ?? search?.onRepository;
  const images = new ImageService(storage, locks, leases, v1Hooks);
  const tags = new TagService(storage, locks, onRepository, v1Hooks);
  const tagCache = deps.cache ? { cache: deps.cache, storagePath: config.storage_path } : null;
  const v1 = {
    images,
    tags,
    repositoryImages: new RepositoryImages(storage, tags),
    index: new IndexImagesService(storage, locks, onRepository, v1Hooks),
    indexTokens: new IndexTokens(auth?.v1Tokens ?? null),
    tokens: new TokenService(config.index_endpoint, storage),
    search,
    searchEvents,
    diffs: deps.cache ? new DiffService(storage, images, deps.cache) : null,
    mirror: config.mirroring.source ? new Mirror(config.mirroring, storage, deps.log, tagCache) : null,
  };

  const stores = buildV2Stores(config, storage, deps.log, v2Hooks, new SigningKey(storage, locks), locks);
  const { blobs, manifests } = stores;
  const v2 = {
    blobs,
    uploads: new UploadService(storage, blobs, locks),
    manifests,
    referrers: new ReferrersService(storage, manifests),
    catalog: new CatalogService(storage),
  };
  const bridge = config.bridge ? new BridgeService({ storage, locks, log: deps.log, platform: config.bridge_platform, v1, v2 }) : null;
  if (bridge) {
    Object.assign(v1Hooks, bridge.v1Hooks());
    Object.assign(v2Hooks, bridge.v2Hooks());
  }
  const pullThrough = stores.v1(bridge);
  const activity = uiServed(config) ? new ActivityRecord(storage, deps.log, { recordAddresses: config.ui.record_addresses }) : null;
  const ui = activity ? new UiService(storage, v1, v2, bridge, activity) : null;
  return { locks, v1: { ...v1, pullThrough }, v2, bridge, auth, mirror: stores.mirror, activity, ui };
}
