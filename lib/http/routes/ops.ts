/**
 * Routes for operators and old probes: `/` and the pings exactly as docker-registry 0.9.1
 * answered them, `/_status` with a storage round-trip, `/healthz` and `/readyz` for
 * orchestrators, and `/metrics` for Prometheus.
 */
import os from 'node:os';
import Router, { type RouterMiddleware } from '@koa/router';
import type { Deps } from '../../deps.js';
import { checkStatus } from '../../services/status.js';
import { VERSION } from '../../version.js';
import type { RequestState } from '../state.js';
import { v1Json } from '../v1-response.js';

export function opsRouter(deps: Deps): Router<RequestState> {
  const { config } = deps;
  const router = new Router<RequestState>();

  router.get('/', (ctx) => {
    // 0.9+: the JSON encoding of `issue`; `true` when it is unset.
    v1Json(ctx, config.issue ?? true);
  });

  const standaloneHeader = config.mirroring.source ? 'mirror' : config.standalone ? 'True' : 'False';
  const ping: RouterMiddleware<RequestState> = (ctx) => {
    v1Json(ctx, config.debug ? debugInfo() : {}, 200, { 'X-Docker-Registry-Standalone': standaloneHeader });
  };
  router.get('/_ping', ping);
  router.get('/v1/_ping', ping);

  const status: RouterMiddleware<RequestState> = async (ctx) => {
    const report = await checkStatus(deps.storage, deps.cache);
    v1Json(ctx, report.body, report.ok ? 200 : 503);
  };
  router.get('/_status', status);
  router.get('/v1/_status', status);

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const report = deps.lifecycle.draining ? { ok: false, body: { failures: { server: 'draining' } } } : await checkStatus(deps.storage, deps.cache);
    ctx.status = report.ok ? 200 : 503;
    ctx.body = { ready: report.ok, failures: report.body.failures };
  });

  if (config.metrics) {
    router.get('/metrics', async (ctx) => {
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
    });
  }

  return router;

  function debugInfo() {
    return {
      host: [os.type(), os.hostname(), os.release(), os.version(), os.machine(), os.arch()],
      launch: process.argv,
      versions: { ...process.versions, berth: VERSION },
      started: deps.startedAt.toISOString(),
    };
  }
}
