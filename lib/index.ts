/**
 * `node dist`: read the config (DOCKER_REGISTRY_CONFIG, SETTINGS_FLAVOR), build the object
 * graph, listen on REGISTRY_HOST:REGISTRY_PORT, print one banner, and drain on
 * SIGTERM/SIGINT (a second signal exits at once).
 *
 *   node dist --check-config [--connect]   run the startup checks, print the effective
 *                                          settings (secrets redacted) and exit
 */
import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { createApp } from './app.js';
import { bannerFields, sharedLockWarning } from './banner.js';
import { checkConfig } from './cli/check-config.js';
import { runSupervisor } from './cluster/supervisor.js';
import { clearStaleSockets } from './cluster/unix-sockets.js';
import { clusterWorker } from './cluster/worker.js';
import { ConfigError } from './config/errors.js';
import type { LoadedConfig } from './config/load.js';
import { bindLabel } from './config/process-settings.js';
import { buildDeps, type Deps } from './deps.js';
import { serverJobs } from './jobs/index.js';
import { createLogger, type Logger } from './logging/logger.js';
import { preflight } from './preflight.js';
import { startServer } from './server.js';
import { buildServices } from './services/index.js';
import { INSTALL_DIR, VERSION } from './version.js';

const EX_CONFIG = 78;

const USAGE = `Berth ${VERSION}: Docker registry (V1 + V2) compatible with docker-registry's config.yml

Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] node dist [--check-config [--connect]]

  --check-config  run every check the server runs at start (config, storage and search
                  settings) without opening anything, print the effective settings, exit
                  (0: ok, 78: config errors)
  --connect       with --check-config: also list the storage root (69: it did not answer)
  --version       print the version
  --help          this text

Environment: SETTINGS_FLAVOR (default dev), DOCKER_REGISTRY_CONFIG (default config.yml),
REGISTRY_HOST (default 0.0.0.0), REGISTRY_PORT (default 5000), plus every _env: name in the config.`;

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void console.log(USAGE);
  if (argv.includes('--version')) return void console.log(VERSION);
  const check = argv.includes('--check-config');
  const unknown = argv.filter((a) => a !== '--check-config' && !(check && a === '--connect'));
  if (unknown.length > 0) {
    console.error(`unknown argument(s): ${unknown.join(' ')}\n\n${USAGE}`);
    process.exit(2);
  }

  const loaded = preflightOrExit();
  if (check) {
    process.exitCode = await checkConfig(loaded, argv.includes('--connect'));
    return;
  }
  const { config, warnings } = loaded;
  if (supervised(config)) {
    const log = createLogger(config.loglevel);
    for (const warning of warnings) log.warn({ config: config.source.path }, warning);
    // The workers run this same file (cluster.isWorker below): `node dist` is the entry of both.
    return runSupervisor({ env: process.env, load: preflightOrExit, exec: fileURLToPath(import.meta.url), log });
  }

  const log = createLogger(config.loglevel);
  // The banner and the shutdown lines are shown whatever loglevel says: an operator always
  // needs to see where the server listens and that it stopped.
  const lifecycleLog = log.levelVal > 30 ? log.child({}, { level: 'info' }) : log;
  for (const warning of warnings) log.warn({ config: config.source.path }, warning);
  let deps: Deps;
  try {
    deps = buildDeps(config, log);
  } catch (err) {
    if (err instanceof ConfigError) exitConfigError(err);
    throw err;
  }
  installCrashHandlers(deps);

  const services = buildServices(deps);
  const app = createApp(deps, services);
  const worker = clusterWorker(config);
  if (!worker) await clearStaleSockets(config.binds, log);
  const running = await startServer(app as never, deps, config.binds, serverJobs(deps, services), worker?.options).catch((err: NodeJS.ErrnoException) => {
    log.fatal({ err }, `cannot listen on ${config.binds.map(bindLabel).join(', ')}: ${err.code ?? err.message}`);
    process.exit(1);
  });
  const where = config.source.embedded ? `${config.source.path} (embedded default: no config.yml found)` : config.source.path;
  lifecycleLog.info(
    { version: VERSION, node: process.version, ...bannerFields(config, running.url) },
    `Berth ${VERSION} listening on ${running.urls.join(', ')}; flavor ${config.flavor}, config ${where}, storage ${config.storage}`,
  );
  const lockWarning = sharedLockWarning(config);
  if (lockWarning) lifecycleLog.warn({ storage: config.storage, lock_dir: config.lock_dir }, lockWarning);

  if (worker) {
    // A worker stops when its supervisor says (and on SIGTERM/SIGINT, which reach the whole
    // process group from a terminal or systemd): once, whatever arrives more; the supervisor
    // is the one that kills on a second signal.
    const stop = (mode: 'stop' | 'retire', why: string) => {
      lifecycleLog.info(
        { reason: why, drain_timeout: config.drain_timeout },
        mode === 'retire' ? 'retiring: a successor listens; finishing in-flight requests' : 'shutting down: draining in-flight requests',
      );
      running.shutdown(mode).then(
        () => exitLogged(log, lifecycleLog, 0),
        (err) => {
          log.error({ err }, 'error while shutting down');
          process.exit(1);
        },
      );
    };
    worker.attach(running, (mode) => stop(mode, mode === 'retire' ? 'replaced' : 'supervisor'));
    process.on('SIGTERM', () => stop('stop', 'SIGTERM'));
    process.on('SIGINT', () => stop('stop', 'SIGINT'));
    return;
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    lifecycleLog.info({ signal, drain_timeout: config.drain_timeout }, 'shutting down: draining in-flight requests');
    running.shutdown().then(
      () => exitLogged(log, lifecycleLog, 0),
      (err) => {
        log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Workers under a supervisor when `workers` or max_requests is set (a lone process cannot replace itself); else one process, as before. */
function supervised(config: LoadedConfig['config']): boolean {
  return cluster.isPrimary && config.supervised;
}

function exitLogged(log: Logger, lifecycleLog: Logger, code: number): never {
  lifecycleLog.info('stopped');
  log.flush();
  process.exit(code);
}

function preflightOrExit(): LoadedConfig {
  try {
    return preflight({ env: process.env, cwd: process.cwd(), installDir: INSTALL_DIR });
  } catch (err) {
    if (err instanceof ConfigError) exitConfigError(err);
    throw err;
  }
}

function exitConfigError(err: ConfigError): never {
  console.error(`berth: ${err.message}`);
  process.exit(EX_CONFIG);
}

/** A crash is logged and mailed (briefly waited for), then the process exits for its supervisor to restart it. */
function installCrashHandlers(deps: Deps): void {
  const crash = (err: unknown, origin: string) => {
    const error = err instanceof Error ? err : new Error(String(err));
    deps.log.fatal({ err: error, origin }, 'crashed');
    deps.mailer?.report({ method: 'PROCESS', path: origin, requestId: '-', error });
    const mailed = deps.mailer ? deps.mailer.close(5000) : Promise.resolve();
    void mailed.finally(() => {
      (deps.log as Logger).flush();
      process.exit(1);
    });
  };
  process.on('uncaughtException', (err) => crash(err, 'uncaughtException'));
  process.on('unhandledRejection', (err) => crash(err, 'unhandledRejection'));
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
