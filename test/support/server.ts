/** Start the real app on 127.0.0.1 with a free port; returns its base URL and a stop function. */
import type Koa from 'koa';
import { pino } from 'pino';
import { createApp } from '../../lib/app.js';
import type { Config } from '../../lib/config/load.js';
import { buildDeps, type Deps } from '../../lib/deps.js';
import type { RequestState } from '../../lib/http/state.js';
import { serverJobs } from '../../lib/jobs/index.js';
import type { Logger } from '../../lib/logging/logger.js';
import { type RunningServer, startServer } from '../../lib/server.js';
import { buildServices, type Services } from '../../lib/services/index.js';

export interface TestServer {
  url: string;
  deps: Deps;
  services: Services;
  app: Koa<RequestState>;
  running: RunningServer;
  stop(): Promise<void>;
}

export const silentLogger = () => pino({ level: 'silent' });

/**
 * `extend` runs after Berth's own middleware and routers, so a test can add a route (one
 * that fails on purpose, one that is slow) behind the real error handling.
 */
export async function startTestServer(
  config: Readonly<Config>,
  options: { deps?: Partial<Deps>; extend?: (app: Koa<RequestState>) => void; log?: Logger } = {},
): Promise<TestServer> {
  const deps = buildDeps(config, options.log ?? silentLogger(), options.deps);
  const services = buildServices(deps);
  const app = createApp(deps, services);
  options.extend?.(app);
  const running = await startServer(app as never, deps, { host: '127.0.0.1', port: 0 }, serverJobs(deps, services));
  return { url: running.url, deps, services, app, running, stop: () => running.shutdown() };
}
