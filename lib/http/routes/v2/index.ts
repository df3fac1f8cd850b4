/**
 * The V2 / OCI distribution API router: thin handlers per resource over the V2 services.
 * Requests reach it only when the V2 gate let them through (middleware/v2-gate.ts): Docker
 * clients older than 1.6, and everyone when V2 is off, get a V1-style 404 instead.
 */
import Router from '@koa/router';
import type { Deps } from '../../../deps.js';
import { HostLocks } from '../../../services/host-lock.js';
import { BlobStore } from '../../../services/v2/blobs.js';
import { ManifestService } from '../../../services/v2/manifests.js';
import { ReferrersService } from '../../../services/v2/referrers.js';
import { SigningKey } from '../../../services/v2/signing-key.js';
import { UploadService } from '../../../services/v2/uploads.js';
import type { RequestState } from '../../state.js';
import { blobRoutes } from './blobs.js';
import { listingRoutes } from './listing.js';
import { manifestRoutes } from './manifests.js';
import { uploadRoutes } from './uploads.js';

export interface V2Services {
  blobs: BlobStore;
  uploads: UploadService;
  manifests: ManifestService;
  referrers: ReferrersService;
}

export function v2Services(deps: Deps): V2Services {
  const blobs = new BlobStore(deps.storage);
  const manifests = new ManifestService(deps.storage, blobs, new SigningKey(deps.storage));
  return {
    blobs,
    uploads: new UploadService(deps.storage, blobs, new HostLocks(deps.config.lock_dir)),
    manifests,
    referrers: new ReferrersService(deps.storage, manifests),
  };
}

export function v2Router(deps: Deps, services = v2Services(deps)): Router<RequestState> {
  const router = new Router<RequestState>();
  router.get(['/v2', '/v2/'], (ctx) => {
    ctx.type = 'application/json';
    ctx.body = '{}';
  });
  listingRoutes(router, deps, services);
  uploadRoutes(router, deps, services);
  blobRoutes(router, deps, services);
  manifestRoutes(router, deps, services);
  return router;
}
