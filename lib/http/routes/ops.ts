/**
 * Routes for operators and old probes: `/` and the pings exactly as docker-registry 0.9.1
 * answered them, `/_status` with a storage round-trip, `/healthz` and `/readyz` for
 * orchestrators, and `/metrics` for Prometheus. The pings are always open (Docker pings before
 * it has credentials); with Berth's own auth the others ask for a login unless auth.open_paths
 * lists them.
 */
import os from 'node:os';
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Deps } from '../../deps.js';
import { checkStatus } from '../../services/status.js';
import { VERSION } from '../../version.js';
import { ACCESS } from '../access.js';
import type { RequestState } from '../state.js';
import { v1Json } from '../v1-response.js';
import type { RouteTable } from './route-table.js';

export function opsRouter(deps: Deps, table: RouteTable): Router<RequestState> {
  const { config } = deps;
  const router = new Router<RequestState>({ sensitive: true });
  const r = table.on(router);

  r.get('/', ACCESS.login, (ctx) => {
    // 0.9+: the JSON encoding of `issue`; `true` when it is unset.
    v1Json(ctx, config.issue ?? true);
  });

  const standaloneHeader = config.mirroring.source ? 'mirror' : config.standalone ? 'True' : 'False';
  const ping: Middleware<RequestState> = (ctx) => {
    v1Json(ctx, config.debug ? debugInfo() : {}, 200, { 'X-Docker-Registry-Standalone': standaloneHeader });
  };
  r.get('/_ping', ACCESS.open, ping);
  r.get('/v1/_ping', ACCESS.open, ping);

  const status: Middleware<RequestState> = async (ctx) => {
    const report = await checkStatus(deps.storage, deps.cache);
    v1Json(ctx, report.body, report.ok ? 200 : 503);
  };
  r.get('/_status', ACCESS.login, status);
  r.get('/v1/_status', ACCESS.login, status);

  r.get('/healthz', ACCESS.open, (ctx) => {
    ctx.body = { status: 'ok' };
  });
  r.get('/readyz', ACCESS.open, async (ctx) => {
    const report = deps.lifecycle.draining ? { ok: false, body: { failures: { server: 'draining' } } } : await checkStatus(deps.storage, deps.cache);
    ctx.status = report.ok ? 200 : 503;
    ctx.body = { ready: report.ok, failures: report.body.failures };
  });

  if (config.metrics) {
    r.get('/metrics', ACCESS.login, async (ctx) => {
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
