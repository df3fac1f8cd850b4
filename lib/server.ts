/**
 * The HTTP server's lifecycle. No request timeout (a multi-hour layer upload must not be
 * cut; Node's default would end it at 300 s), keep-alive longer than the proxy's, and a
 * drain on shutdown: stop accepting, let in-flight requests finish up to drain_timeout,
 * then close what is left. The server's background jobs start once it listens and stop
 * before the graph is closed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { closeDeps, type Deps } from './deps.js';
import type { Job } from './jobs/index.js';

export interface RunningServer {
  server: http.Server;
  url: string;
  /** Drain and stop; resolves when everything is closed. Safe to call twice. */
  shutdown(): Promise<void>;
}

export async function startServer(app: Koa<never>, deps: Deps, host: string, port: number, jobs: readonly Job[] = []): Promise<RunningServer> {
  const server = http.createServer(app.callback());
  server.requestTimeout = 0;
  server.timeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = deps.config.keepalive_timeout * 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  for (const job of jobs) job.start();
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  let stopping: Promise<void> | null = null;
  const shutdown = () => {
    stopping ??= drain(server, deps, jobs);
    return stopping;
  };
  return { server, url: `http://${shownHost}:${addr.port}`, shutdown };
}

async function drain(server: http.Server, deps: Deps, jobs: readonly Job[]): Promise<void> {
  deps.lifecycle.draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() only closes the connections idle at that moment; a keep-alive connection whose
  // response ends later (a layer download) would otherwise hold the drain until it times out.
  server.closeIdleConnections();
  const sweeper = setInterval(() => server.closeIdleConnections(), 250);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deps.config.drain_timeout * 1000);
  });
  const outcome = await Promise.race([closed.then(() => 'drained' as const), deadline]);
  clearTimeout(timer);
  clearInterval(sweeper);
  if (outcome === 'timeout') {
    deps.log.warn({ drain_timeout: deps.config.drain_timeout }, 'drain timeout reached; closing remaining connections');
    server.closeAllConnections();
    await closed;
  }
  await Promise.allSettled(jobs.map((job) => job.stop()));
  await closeDeps(deps);
}
