/**
 * Crash safety (test/support/crash/harness.ts): a real `node dist` killed with SIGKILL at random
 * points of V1 pushes, V2 monolithic and chunked pushes, manifest and tag writes, the bridge's
 * derivations and bridged pulls; after every restart each acknowledged push pulls back
 * byte-identical, nothing half-written is visible, the interrupted push is redone at once, and
 * `scripts/verify` is clean after `--repair`. On local storage and on S3 (a real Ceph RGW).
 *
 * Each run must really cut work: some push interrupted, at least half the kills landing in the
 * phase they aimed at (not after the work ended), and over a long run 3/4 of the phases hit.
 * Always on: 12 kills on local storage, 6 on S3. BERTH_LONG_TESTS=1: 50 on each. The seed is
 * printed; BERTH_CRASH_SEED=<seed> replays the same plan (images, kinds, kill points).
 */
import assert from 'node:assert/strict';
import { tempDir } from '../support/config.js';
import { crashRun } from '../support/crash/harness.js';
import { PHASES } from '../support/crash/killer.js';
import { seedFromEnv } from '../support/fuzz/random.js';
import { s3ConfigLines, sharedRgw } from '../support/services.js';

const LONG = process.env.BERTH_LONG_TESTS === '1';
const SEED = seedFromEnv(process.env, 'BERTH_CRASH_SEED');

// The kills cycle through the phases in a seeded order; S3 starts where local storage's first
// six end, so that the short runs of the two together cover every phase twice on one or the other.
const STORES: Array<[label: string, kills: number, phaseOffset: number, storage: () => Promise<string | null>]> = [
  ['local storage', LONG ? 50 : 12, 0, async () => `  storage: local\n  storage_path: ${tempDir('berth-crash-')}\n`],
  [
    'S3 (Ceph RGW)',
    LONG ? 50 : 6,
    6,
    async () => {
      const rgw = await sharedRgw();
      return rgw ? s3ConfigLines(rgw, 'berth-crash') : null;
    },
  ],
];

describe('crash safety: kill -9 at random points of pushes, restart, nothing lost or half-written', function () {
  this.timeout(LONG ? 3_600_000 : 300_000);

  for (const [label, kills, phaseOffset, storage] of STORES) {
    it(`${label}: ${kills} kills; acknowledged pushes pull back byte-identical, interrupted ones are redone at once, verify is clean`, async function () {
      const lines = await storage();
      if (lines === null) return this.skip();
      const started = Date.now();
      const figures = await crashRun({ flavorLines: `${lines}  lock_dir: ${tempDir('berth-crash-locks-')}\n`, kills, seed: SEED, phaseOffset });
      const phases = Object.entries(figures.byPhase)
        .map(([phase, count]) => `${phase} ${figures.inPhase[phase as keyof typeof figures.inPhase] ?? 0}/${count} in phase`)
        .join(', ');
      console.log(
        `      crash safety on ${label} (BERTH_CRASH_SEED=${SEED}): ${figures.kills} kills (${phases}); ` +
          `${figures.acknowledged} pushes acknowledged, ${figures.interrupted} interrupted, ${figures.redone} redone (slowest ${figures.slowestRedoMs} ms, ` +
          `${figures.takenOverAtOnce} lock(s) of the dead process taken over at once, none waited out), ` +
          `${figures.pulledBack} pull-backs byte-identical; verify repaired ${figures.verifyRepaired} finding(s)` +
          `${figures.repairedKinds.length ? ` (${figures.repairedKinds.join(', ')})` : ''}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
      );
      // A kill that came after the work had ended tests nothing: the run must really cut pushes.
      const landed = Object.values(figures.inPhase).reduce((a, b) => a + b, 0);
      assert.ok(figures.interrupted > 0, 'no kill interrupted a push');
      assert.ok(landed >= figures.kills / 2, `only ${landed} of ${figures.kills} kills cut the work they were aimed at`);
      // Long enough for each phase to come up several times: most of them must be hit in phase.
      if (kills >= 3 * PHASES.length) {
        const hit = PHASES.filter((p) => (figures.inPhase[p] ?? 0) > 0);
        assert.ok(hit.length >= Math.ceil(PHASES.length * 0.75), `phases hit in phase: ${hit.join(', ')} (of ${PHASES.length})`);
      }
    });
  }
});
