/**
 * The server's jobs with a pull-through cache over a storage budget: its eviction walks the
 * store, so it runs once per host (a supervisor elects one worker, lib/server.ts), not in
 * every worker of the cluster.
 */
import assert from 'node:assert/strict';
import { buildDeps } from '../../lib/deps.js';
import { serverJobs } from '../../lib/jobs/index.js';
import { buildServices } from '../../lib/services/index.js';
import { testConfig } from '../support/config.js';
import { silentLogger } from '../support/server.js';

describe('jobs: the mirror eviction', () => {
  it('runs once per host, as the upload purge does', async () => {
    const deps = buildDeps(testConfig('  mirroring:\n    source: http://127.0.0.1:9\n    protocol: v2\n    max_bytes: 1000\n'), silentLogger());
    try {
      const jobs = serverJobs(deps, buildServices(deps));
      const eviction = jobs.find((j) => j.name === 'mirror-eviction');
      assert.ok(eviction, `jobs: ${jobs.map((j) => j.name).join(', ')}`);
      assert.equal(eviction.perHost, true);
      assert.equal(jobs.find((j) => j.name === 'upload-purge')?.perHost, true);
      await eviction.stop();
    } finally {
      await deps.storage.close();
    }
  });
});
