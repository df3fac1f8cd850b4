/**
 * The resource scenario of README "Limits" (bench/resources-scenario.mjs) against `node dist`:
 * idle connections, abandoned upload sessions, trickling bodies, and clients pushing one
 * image while others pull it, with a ping every 50 ms from a process of its own.
 *
 * Always on: the short variant (200 idle connections, 300 abandoned sessions, 30 trickling
 * bodies, 20 pushers, 10 pullers), with functional checks only: every ping answered, no 5xx,
 * every trickling body cut (408), the pushes and pulls done (no deadlock), and the server's
 * descriptors back to their baseline within 30 s of the load letting go. Its figures (ping
 * latency, RSS) are printed, not checked: they depend on the machine and what else runs on it.
 *
 * BERTH_LONG_TESTS=1: the full variant (2,000 / 5,000 / 300, 20 pushers, 20 pullers). It
 * prints the issue's two aims (pings within 100 ms throughout, RSS under 150 MiB) as met or
 * missed, and asserts generous bounds that catch a regression without failing on a busy
 * machine: peak RSS under 256 MiB and ping p99 under 500 ms. Measured on a 2-core machine
 * (README "Limits"): peak RSS 200-215 MiB, of which the live heap is about 22 MiB (the rest is
 * V8's young generation, grown to 32 MiB under the request churn, and old-space headroom);
 * pings within 96-114 ms (p99 38-64 ms) when little else runs, p99 100-200 ms beside other
 * jobs. `npm run bench:resources` runs the same scenario and prints the same figures.
 */
import assert from 'node:assert/strict';
import { FULL, failuresIn, formatReport, runScenario, SHORT } from '../../bench/resources-scenario.mjs';
import { connectionCaps, openFileLimit } from '../../lib/http/connection-limits.js';
import { tempDir, writeConfig } from '../support/config.js';
import { spawnBerth } from '../support/process.js';

const LONG = process.env.BERTH_LONG_TESTS === '1';
/** Seconds a trickling body may go below the rate before it is cut (the default is 30). */
const RATE_INTERVAL = 3;

describe(`resources under abuse (${LONG ? 'full' : 'short'} variant)`, function () {
  this.timeout(LONG ? 600_000 : 180_000);

  before(() => {
    // The full variant needs its 2,000 idle connections under the server's automatic cap.
    const limit = openFileLimit();
    if (LONG && limit !== null && connectionCaps({ max_connections: null, max_connections_per_client: 0, trust_proxy: false }, limit).max < 2_500) {
      throw new Error(`the open-file limit (${limit}) is too low for the full variant: raise it (ulimit -n 8192)`);
    }
  });

  it('pings answer throughout, nothing fails with a 5xx, trickles are cut, pushes and pulls finish, descriptors come back', async () => {
    const config = writeConfig(
      [
        'test:',
        '  storage: local',
        `  storage_path: ${tempDir()}`,
        '  standalone: true',
        '  loglevel: error',
        // One loopback address is every client here: it holds every connection and every
        // abandoned session (the caps per address are tested in test/api/limits.test.ts).
        '  max_connections_per_client: 0',
        '  max_upload_sessions_per_client: 10000',
        `  body_min_rate_interval: ${RATE_INTERVAL}`,
        '',
      ].join('\n'),
    );
    const berth = spawnBerth({ DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'test' });
    const url = await berth.ready();
    try {
      const counts = LONG ? FULL : SHORT;
      const report = await runScenario({ url, pid: berth.proc.pid as number, counts, trickleEveryMs: 1000, cutWithinMs: (RATE_INTERVAL + 30) * 1000 });
      for (const row of formatReport(report)) console.log(`      ${row}`);

      assert.deepEqual(failuresIn(report.statuses), []);
      const pings = report.statuses.ping ?? {};
      assert.deepEqual(Object.keys(pings), ['200'], 'every ping answered 200');
      assert.ok(report.ping.count > 10, `${report.ping.count} pings`);
      assert.equal(report.statuses['idle connection']?.open, counts.idle);
      assert.equal(report.statuses['abandoned session']?.['202'], counts.abandoned);
      const cut = Object.entries(report.statuses)
        .filter(([what]) => what.startsWith('trickle'))
        .reduce((n, [, row]) => n + (row['408'] ?? 0), 0);
      assert.equal(cut, counts.trickling, 'every trickling body answered 408');
      assert.equal(report.statuses.push?.['201'], counts.pushers * 3, 'every push finished (two blobs and the manifest each)');
      assert.ok((report.statuses.pull?.['200'] ?? 0) >= 3, 'the image was pulled whole');
      assert.ok(report.fds.after <= report.fds.baseline, `descriptors ${report.fds.after}, baseline ${report.fds.baseline}`);
      if (LONG) {
        console.log(`      aim: pings within 100 ms: ${report.ping.max <= 100 ? 'met' : 'missed'} (max ${report.ping.max.toFixed(1)} ms)`);
        console.log(`      aim: RSS under 150 MiB: ${report.rss.peakMiB < 150 ? 'met' : 'missed'} (peak ${report.rss.peakMiB.toFixed(1)} MiB)`);
        assert.ok(report.rss.peakMiB < 256, `peak RSS ${report.rss.peakMiB.toFixed(1)} MiB`);
        assert.ok(report.ping.p99 < 500, `ping p99 ${report.ping.p99.toFixed(1)} ms`);
      }
      assert.equal(berth.proc.exitCode, null, 'the server is still running');
    } finally {
      berth.kill('SIGKILL');
      await berth.exited;
    }
  });
});
