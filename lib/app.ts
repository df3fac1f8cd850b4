/**
 * createApp(deps, services): the Koa application with its middleware in order. It does not
 * listen; tests and server.ts call `app.callback()`.
 *
 *   request-id → body watch → access-log/metrics → family headers → CORS (if on) → errors →
 *   draining → V2 gate (which family a /v2… path belongs to) → connection caps →
 *   routers (params → access → handler)
 */
import Koa from 'koa';
import { v2Enabled } from './config/features.js';
import type { Deps } from './deps.js';
import { type Authorizer, allowAll } from './http/access.js';
import { refuseMirrorWrites } from './http/auth/mirror-pushes.js';
import { registryAuthorizer } from './http/auth/registry-authorizer.js';
import { v1IndexTokenAuthorizer } from './http/auth/v1-index-tokens.js';
import { BodyWatch } from './http/body-watch.js';
import { accessLog } from './http/middleware/access-log.js';
import { clientActivity } from './http/middleware/client-activity.js';
import { cors } from './http/middleware/cors.js';
import { draining } from './http/middleware/draining.js';
import { errorHandler } from './http/middleware/errors.js';
import { familyHeaders } from './http/middleware/family-headers.js';
import { connectionLimits, watchBodies } from './http/middleware/limits.js';
import { requestId } from './http/middleware/request-id.js';
import { v2Gate } from './http/middleware/v2-gate.js';
import { opsRouter } from './http/routes/ops.js';
import { RouteTable } from './http/routes/route-table.js';
import { uiRouter } from './http/routes/ui.js';
import { v1Router } from './http/routes/v1/index.js';
import { v2Router } from './http/routes/v2/index.js';
import type { RequestState } from './http/state.js';
import { gunicornAccessLog } from './logging/access-file.js';
import type { Services } from './services/index.js';

/** The routes of each app, with the access each needs (for tests that walk them). */
const routeTables = new WeakMap<Koa<RequestState>, RouteTable>();

export function routeTableOf(app: Koa<RequestState>): RouteTable {
  const table = routeTables.get(app);
  if (!table) throw new Error('not an app made by createApp');
  return table;
}

export function createApp(deps: Deps, services: Services): Koa<RequestState> {
  // Behind a proxy, the client's address is the last X-Forwarded-For entry, the one the proxy
  // itself added; the entries before it are whatever the client sent (and the failed-login
  // slow-down must not be dodged, or turned on someone else, by sending one).
  const app = new Koa<RequestState>({ proxy: deps.config.trust_proxy, maxIpsCount: 1 });
  // Errors are logged (with the request id) and mailed by errorHandler; Koa's default
  // console printing would only duplicate them.
  app.silent = true;

  app.use(requestId(deps.log));
  app.use(watchBodies(bodyWatch(deps), deps.metrics));
  app.use(accessLog(deps.metrics, gunicornAccessLog(deps.config)));
  app.use(familyHeaders(deps.config.flavor));
  const corsHeaders = cors(deps.config.cors);
  if (corsHeaders) app.use(corsHeaders);
  app.use(errorHandler(deps.metrics, deps.mailer));
  app.use(draining(deps.lifecycle));
  app.use(v2Gate(v2Enabled(deps.config)));
  app.use(connectionLimits());
  if (services.activity) app.use(clientActivity(services.activity));

  const table = new RouteTable(authorizer(deps, services));
  routeTables.set(app, table);
  for (const router of [opsRouter(deps, table), v1Router(deps, services.v1, table, services.auth !== null), v2Router(deps, services.v2, table)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  if (services.ui) {
    const router = uiRouter(deps, services.ui, table);
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  return app;
}

/** The rules every request body is held to (README "Limits"). */
function bodyWatch({ config }: Deps): BodyWatch {
  return new BodyWatch({
    minBytes: config.body_min_rate_interval > 0 ? (config.body_min_rate_bytes ?? 0) : 0,
    intervalMs: config.body_min_rate_interval * 1000,
    smallBodyMs: config.small_body_timeout * 1000,
    uploadIdleMs: config.upload_idle_timeout * 1000,
  });
}

/**
 * Who may do what: Berth's own auth when `auth:` is set; else open in standalone mode (and with
 * disable_token_auth), and an external index's tokens otherwise (docker-registry's token mode).
 */
function authorizer(deps: Deps, services: Services): Authorizer {
  const chosen = ownAuthorizer(deps, services);
  return services.mirror && !deps.config.mirroring.allow_push ? refuseMirrorWrites(chosen, services.mirror) : chosen;
}

function ownAuthorizer(deps: Deps, services: Services): Authorizer {
  if (services.auth) return registryAuthorizer(services.auth, services.v1.repositoryImages, deps.log, deps.metrics);
  const { standalone, disable_token_auth } = deps.config;
  return standalone || disable_token_auth ? allowAll : v1IndexTokenAuthorizer(services.v1.tokens);
}
