/**
 * The HTTP server's lifecycle. No request timeout (a multi-hour layer upload must not be
 * cut; Node's default would end it at 300 s: slow bodies are cut by the body watch instead,
 * http/body-watch.ts), headers within headers_timeout, keep-alive longer than the proxy's,
 * the connection caps (http/connection-limits.ts), and a drain on shutdown: stop accepting,
 * let in-flight requests finish up to drain_timeout, then close what is left. The server's
 * background jobs start once it listens and stop before the graph is closed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import { closeDeps, type Deps } from './deps.js';
import { connectionCaps, limitConnections, overLimit } from './http/connection-limits.js';
import type { Job } from './jobs/index.js';

export interface RunningServer {
  server: http.Server;
  url: string;
  /** Drain and stop; resolves when everything is closed. Safe to call twice. */
  shutdown(): Promise<void>;
}

export async function startServer(app: Koa<never>, deps: Deps, host: string, port: number, jobs: readonly Job[] = []): Promise<RunningServer> {
  const { config, metrics } = deps;
  const handle = app.callback();
  const headersTimeout = config.headers_timeout * 1000;
  const server = http.createServer(
    {
      requestTimeout: 0,
      headersTimeout,
      // How often Node looks for connections past headers_timeout (its default, 30 s, would
      // let a half-open connection stay up to that much longer).
      connectionsCheckingInterval: Math.max(250, Math.min(5_000, headersTimeout / 4 || 5_000)),
    },
    (req, res) => {
      // A connection beyond a cap answers once (middleware/limits.ts), then closes.
      if (overLimit(req.socket)) res.shouldKeepAlive = false;
      void handle(req, res);
    },
  );
  server.timeout = 0;
  server.keepAliveTimeout = config.keepalive_timeout * 1000;
  limitConnections(server, connectionCaps(config), (limit) => metrics.limits.inc({ limit }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listen, an error on the listening socket is a failed accept (EMFILE, ENFILE, ENOBUFS):
  // libuv has already closed the connection it could not take, and the server goes on
  // accepting once descriptors are free again. Logged (at most every 10 s), never a crash.
  let lastAcceptLog = 0;
  server.on('error', (err: NodeJS.ErrnoException) => {
    metrics.limits.inc({ limit: 'accept_errors' });
    const now = Date.now();
    if (now - lastAcceptLog < 10_000) return;
    lastAcceptLog = now;
    deps.log.warn({ err: { message: err.message, code: err.code, syscall: err.syscall } }, 'could not accept a connection');
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
