/**
 * The search index's changes shared through the `cache` Redis (lib/services/v1/search-events.ts)
 * against a real redis-server: a change another instance publishes that this host's index
 * cannot take (SQLite busy or read-only) is logged, not an uncaught exception in ioredis's
 * message handler; and the listener runs once per host, not in every worker.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisCache } from '../../../lib/cache/redis-cache.js';
import { buildDeps, closeDeps } from '../../../lib/deps.js';
import { serverJobs } from '../../../lib/jobs/index.js';
import { buildServices } from '../../../lib/services/index.js';
import { SEARCH_CHANNEL, SharedSearchEvents } from '../../../lib/services/v1/search-events.js';
import { loadYaml, tempDir } from '../../support/config.js';
import { silentLogger } from '../../support/server.js';
import { type RedisService, startRedis } from '../../support/services.js';

describe('search index changes shared through Redis', function () {
  this.timeout(20_000);
  let redis: RedisService | null;

  before(async function () {
    redis = await startRedis();
    if (!redis) return this.skip();
  });
  after(async () => {
    await redis?.stop();
  });

  it('an index write that fails on a heard change is logged, and the process goes on', async () => {
    const port = (redis as RedisService).port;
    const log = silentLogger();
    const warned: string[] = [];
    log.warn = ((_obj: unknown, msg: string) => void warned.push(msg)) as typeof log.warn;
    const cache = new RedisCache({ host: '127.0.0.1', port, db: 0, password: null }, silentLogger(), 'cache');
    await cache.ready;
    const applied: string[] = [];
    const events = new SharedSearchEvents(
      cache,
      (_event, name) => {
        applied.push(name.repository);
        throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      },
      log,
    );
    const publisher = new Redis({ host: '127.0.0.1', port });
    try {
      events.start();
      const message = (repository: string) => JSON.stringify({ from: 'another-instance', event: 'changed', namespace: 'library', repository });
      // the subscription is made in the background: publish until it hears
      for (let i = 0; i < 100 && applied.length === 0; i++) {
        await publisher.publish(SEARCH_CHANNEL, message('first'));
        await new Promise((r) => setTimeout(r, 20));
      }
      await publisher.publish(SEARCH_CHANNEL, message('second'));
      for (let i = 0; i < 100 && !applied.includes('second'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(applied.includes('second'), 'it still listens after a failed write');
      assert.ok(warned.includes('could not apply a repository change to the search index'), warned.join('; '));
    } finally {
      publisher.disconnect();
      await events.stop();
      await cache.close();
    }
  });

  it('the listener is a once-per-host job', async () => {
    const port = (redis as RedisService).port;
    const config = loadYaml(
      `t:\n  storage_path: ${tempDir()}\n  lock_dir: ${tempDir()}\n  search_backend: sqlalchemy\n  sqlalchemy_index_database: sqlite:///${tempDir()}/index.db\n  cache:\n    host: 127.0.0.1\n    port: ${port}\n`,
      't',
    ).config;
    const deps = buildDeps(config, silentLogger());
    try {
      const job = serverJobs(deps, buildServices(deps)).find((j) => j.name === 'search-events');
      assert.equal(job?.perHost, true);
    } finally {
      await closeDeps(deps);
    }
  });
});
