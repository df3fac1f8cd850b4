/** The V1 registry API router: image and repository routes behind the token-auth gate, and the index's user routes. */
import Router from '@koa/router';
import type { Deps } from '../../../deps.js';
import { HostLocks } from '../../../services/host-lock.js';
import { ImageService } from '../../../services/v1/images.js';
import { IndexImagesService } from '../../../services/v1/index-images.js';
import { DiffService } from '../../../services/v1/layer-diff.js';
import { Mirror } from '../../../services/v1/mirror.js';
import { SearchService } from '../../../services/v1/search.js';
import { TagService } from '../../../services/v1/tags.js';
import { TokenService } from '../../../services/v1/tokens.js';
import type { RequestState } from '../../state.js';
import { v1Json } from '../../v1-response.js';
import { requiresAuth } from './auth.js';
import { imageRoutes } from './images.js';
import { mirrorRoutes } from './mirror.js';
import { repositoryRoutes, userRoutes } from './repositories.js';

export function v1Router(deps: Deps): Router<RequestState> {
  const router = new Router<RequestState>();
  const locks = new HostLocks(deps.config.lock_dir);
  router.use(async (ctx, next) => {
    ctx.state.apiFamily = 'v1';
    await next();
  });
  if (deps.config.standalone) userRoutes(router);
  const tokens = new TokenService(deps.config.index_endpoint, deps.storage);
  router.use(['/v1/images', '/v1/repositories'], requiresAuth(deps.config, tokens));
  if (deps.config.mirroring.source) {
    const tagCache = deps.cache ? { cache: deps.cache, storagePath: deps.config.storage_path } : null;
    mirrorRoutes(router, deps, new Mirror(deps.config.mirroring, deps.storage, deps.log, tagCache));
  }
  const search = deps.search ? new SearchService(deps.search, deps.storage) : null;
  const onRepository = search?.onRepository;
  if (search) {
    // Fill a new or empty index from storage, in the background: the server answers meanwhile.
    search.rebuildIfEmpty().then(
      (n) => n > 0 && deps.log.info({ repositories: n }, 'search index rebuilt from storage'),
      (err) => deps.log.error({ err }, 'could not rebuild the search index from storage'),
    );
    router.get('/v1/search', (ctx) => v1Json(ctx, search.search(String(ctx.query.q ?? ''))));
  }
  const images = new ImageService(deps.storage, locks);
  imageRoutes(router, deps, images, tokens, deps.cache ? new DiffService(deps.storage, images, deps.cache) : null);
  repositoryRoutes(router, deps, new TagService(deps.storage, locks, onRepository), new IndexImagesService(deps.storage, locks, onRepository));
  return router;
}
