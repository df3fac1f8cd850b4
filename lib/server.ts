/**
 * The HTTP server's lifecycle. No request timeout (a multi-hour layer upload must not be
 * cut; Node's default would end it at 300 s: slow bodies are cut by the body watch instead,
 * http/body-watch.ts), headers within headers_timeout, keep-alive longer than the proxy's,
 * the connection caps (http/connection-limits.ts), and a drain on shutdown: stop accepting,
 * let in-flight requests finish up to drain_timeout, then close what is left. The server's
 * background jobs start once it listens and stop before the graph is closed; the jobs that run
 * once per host (Job.perHost) wait, under a supervisor, until it elects this worker for them.
 * One server per listen address (gunicorn's repeated `-b`, unix sockets), one handler for all.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { Bind } from './config/process-settings.js';
import { closeDeps, type Deps } from './deps.js';
import { connectionCaps, limitConnections, overLimit } from './http/connection-limits.js';
import type { Job } from './jobs/index.js';

/** How long a retiring worker leaves its idle keep-alive connections open for a request already on its way. */
const RETIRE_GRACE_MS = 2_000;

export interface RunningServer {
  /** the first address's server */
  server: http.Server;
  servers: readonly http.Server[];
  /** the first address: `http://host:port` or `unix:/path` */
  url: string;
  urls: readonly string[];
  /** Start the once-per-host jobs, when they were deferred (a supervisor elected this worker). */
  startHostJobs(): void;
  /** Stop the once-per-host jobs (and never start them again); resolves once their work in hand is done. */
  stopHostJobs(): Promise<void>;
  /**
   * Drain and stop; resolves when everything is closed. Safe to call twice. `retire`: another
   * worker has taken over the socket, so requests on connections still open here are served
   * (with `Connection: close`) rather than answered 503.
   */
  shutdown(mode?: 'stop' | 'retire'): Promise<void>;
}

export interface ServerOptions {
  /** leave the per-host jobs until startHostJobs() (a supervised worker); default: start them with the rest */
  deferHostJobs?: boolean;
  /** called once per request, as it arrives (a supervised worker counts them for max_requests) */
  onRequest?: () => void;
}

export async function startServer(
  app: Koa<never>,
  deps: Deps,
  listen: Bind | readonly Bind[],
  jobs: readonly Job[] = [],
  options: ServerOptions = {},
): Promise<RunningServer> {
  const binds: readonly Bind[] = Array.isArray(listen) ? listen : [listen as Bind];
  const handle = app.callback();
  const servers: http.Server[] = [];
  const urls: string[] = [];
  try {
    for (const bind of binds) {
      const server = createServer(handle, deps, options.onRequest);
      servers.push(server);
      urls.push(await listenOn(server, bind, deps));
    }
  } catch (err) {
    for (const server of servers) server.close();
    throw err;
  }
  const hostJobs = jobs.filter((job) => job.perHost);
  for (const job of jobs) if (!job.perHost || !options.deferHostJobs) job.start();
  let stopping: Promise<void> | null = null;
  let hostJobsStarted = false;
  let hostJobsOver = false;
  const shutdown = (mode: 'stop' | 'retire' = 'stop') => {
    stopping ??= drain(servers, deps, jobs, mode);
    return stopping;
  };
  return {
    server: servers[0] as http.Server,
    servers,
    url: urls[0] as string,
    urls,
    startHostJobs: () => {
      if (!options.deferHostJobs || stopping || hostJobsStarted || hostJobsOver || hostJobs.length === 0) return;
      hostJobsStarted = true;
      deps.log.info({ jobs: hostJobs.map((job) => job.name) }, 'elected to run the once-per-host jobs');
      for (const job of hostJobs) job.start();
    },
    stopHostJobs: async () => {
      hostJobsOver = true;
      if (!hostJobsStarted) return;
      await Promise.allSettled(hostJobs.map((job) => job.stop()));
      deps.log.info({ jobs: hostJobs.map((job) => job.name) }, 'stopped the once-per-host jobs');
    },
    shutdown,
  };
}

function createServer(handle: ReturnType<Koa['callback']>, deps: Deps, onRequest?: () => void): http.Server {
  const { config, metrics } = deps;
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
      onRequest?.();
      void handle(req, res);
    },
  );
  server.timeout = 0;
  server.keepAliveTimeout = config.keepalive_timeout * 1000;
  limitConnections(server, connectionCaps(config), (limit) => metrics.limits.inc({ limit }));
  return server;
}

/** Listen on one address; resolves with how it is shown (`http://127.0.0.1:5000`, `unix:/run/berth.sock`). */
async function listenOn(server: http.Server, bind: Bind, deps: Deps): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if ('path' in bind) server.listen(bind.path, done);
    else server.listen(bind.port, bind.host, done);
  });
  // After listen, an error on the listening socket is a failed accept (EMFILE, ENFILE, ENOBUFS):
  // libuv has already closed the connection it could not take, and the server goes on
  // accepting once descriptors are free again. Logged (at most every 10 s), never a crash.
  let lastAcceptLog = 0;
  server.on('error', (err: NodeJS.ErrnoException) => {
    deps.metrics.limits.inc({ limit: 'accept_errors' });
    const now = Date.now();
    if (now - lastAcceptLog < 10_000) return;
    lastAcceptLog = now;
    deps.log.warn({ err: { message: err.message, code: err.code, syscall: err.syscall } }, 'could not accept a connection');
  });
  if ('path' in bind) return `unix:${bind.path}`;
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return `http://${shownHost}:${addr.port}`;
}

async function drain(servers: readonly http.Server[], deps: Deps, jobs: readonly Job[], mode: 'stop' | 'retire'): Promise<void> {
  if (mode === 'retire') deps.lifecycle.retiring = true;
  else deps.lifecycle.draining = true;
  // A retiring worker stops accepting without http's close(), which would also cut the
  // keep-alive connections idle at that instant, each maybe with a client's next request
  // already on its way. Their next request is served (with Connection: close) instead; the
  // connections still idle after RETIRE_GRACE_MS have no client at work and are closed.
  const stopListening = (server: http.Server, done: () => void) =>
    mode === 'retire' ? net.Server.prototype.close.call(server, () => done()) : server.close(() => done());
  const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => stopListening(server, resolve))));
  // close() only closes the connections idle at that moment; a keep-alive connection whose
  // response ends later (a layer download) would otherwise hold the drain until it times out.
  const closeIdle = () => {
    for (const server of servers) server.closeIdleConnections();
  };
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    closeIdle();
    sweeper = setInterval(closeIdle, 250);
  };
  // A retiring worker gives kept-alive clients a moment to send what they were about to send.
  let grace: NodeJS.Timeout | undefined;
  if (mode === 'retire') grace = setTimeout(sweep, RETIRE_GRACE_MS);
  else sweep();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), deps.config.drain_timeout * 1000);
  });
  const outcome = await Promise.race([closed.then(() => 'drained' as const), deadline]);
  clearTimeout(timer);
  clearTimeout(grace);
  clearInterval(sweeper);
  if (outcome === 'timeout') {
    deps.log.warn({ drain_timeout: deps.config.drain_timeout }, 'drain timeout reached; closing remaining connections');
    for (const server of servers) server.closeAllConnections();
    await closed;
  }
  await Promise.allSettled(jobs.map((job) => job.stop()));
  await closeDeps(deps);
}
