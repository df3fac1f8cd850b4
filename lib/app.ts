/**
 * createApp(deps): the Koa application with its middleware in order. It does not listen;
 * tests and server.ts call `app.callback()`.
 *
 *   request-id → access-log/metrics → family headers → CORS (if on) → errors → draining →
 *   V2 gate (which family a /v2… path belongs to) → routers
 */
import Koa from 'koa';
import { v2Enabled } from './config/features.js';
import type { Deps } from './deps.js';
import { accessLog } from './http/middleware/access-log.js';
import { cors } from './http/middleware/cors.js';
import { draining } from './http/middleware/draining.js';
import { errorHandler } from './http/middleware/errors.js';
import { familyHeaders } from './http/middleware/family-headers.js';
import { requestId } from './http/middleware/request-id.js';
import { v2Gate } from './http/middleware/v2-gate.js';
import { opsRouter } from './http/routes/ops.js';
import { v1Router } from './http/routes/v1/index.js';
import { v2Router, v2Services } from './http/routes/v2/index.js';
import type { RequestState } from './http/state.js';

export function createApp(deps: Deps, v2 = v2Services(deps)): Koa<RequestState> {
  const app = new Koa<RequestState>({ proxy: deps.config.trust_proxy });
  // Errors are logged (with the request id) and mailed by errorHandler; Koa's default
  // console printing would only duplicate them.
  app.silent = true;

  app.use(requestId(deps.log));
  app.use(accessLog(deps.metrics));
  app.use(familyHeaders(deps.config.flavor));
  const corsHeaders = cors(deps.config.cors);
  if (corsHeaders) app.use(corsHeaders);
  app.use(errorHandler(deps.metrics, deps.mailer));
  app.use(draining(deps.lifecycle));
  app.use(v2Gate(v2Enabled(deps.config)));

  const ops = opsRouter(deps);
  app.use(ops.routes());
  app.use(ops.allowedMethods());
  const registryV1 = v1Router(deps);
  app.use(registryV1.routes());
  app.use(registryV1.allowedMethods());
  const registryV2 = v2Router(deps, v2);
  app.use(registryV2.routes());
  app.use(registryV2.allowedMethods());
  return app;
}
