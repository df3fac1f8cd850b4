/**
 * scripts/diff-worker: docker-registry's `diff-worker.py` (lib/jobs/diff-worker.ts does the
 * work). Runs until SIGTERM/SIGINT; with `--once`, until the queue is empty. Reads the same
 * config as the server.
 */
import { ConfigError } from '../config/errors.js';
import { buildDeps, closeDeps } from '../deps.js';
import { diffWorkerJob, REDIS_WAIT_MS } from '../jobs/diff-worker.js';
import { createLogger } from '../logging/logger.js';
import { buildServices } from '../services/index.js';
import { CONFIG_OPTIONS, cliArgs, configChoice, withConfig } from './cli-args.js';

export { parseQueuedId } from '../jobs/diff-worker.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] scripts/diff-worker [--once]

Computes the /diff of the images queued on the cache Redis (cache.host in config.yml).
  --once       stop when the queue is empty
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --help, --version`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(argv, { once: { type: 'boolean' }, ...CONFIG_OPTIONS }, USAGE);
  if (typeof args === 'number') return args;
  const opened = withConfig((config) => {
    if (!config.cache.host)
      throw new ConfigError([{ key: 'cache.host', message: 'the diff queue lives on the cache Redis; set cache.host' }], config.flavor, config.source.path);
    const log = createLogger(config.loglevel).child({ name: 'diff-worker' });
    return buildDeps(config, log, { mailer: null, search: null });
  }, configChoice(args));
  if (typeof opened === 'number') return opened;
  const { config, value: deps } = opened;
  const { diffs } = buildServices(deps).v1;
  const cache = deps.cache;
  if (!diffs || !cache) throw new Error('unreachable: cache.host is set');
  const job = diffWorkerJob(diffs, cache, deps.log, { once: args.once === true });
  // The first SIGTERM/SIGINT lets the image in hand finish; a second one exits at once.
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) process.exit(1);
    void job.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    job.start();
    if ((await job.finished) === 'no-redis') {
      deps.log.error({ host: config.cache.host, port: config.cache.port }, `the cache Redis did not answer within ${REDIS_WAIT_MS / 1000} s`);
      return 1;
    }
    return 0;
  } finally {
    await closeDeps(deps);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
