/**
 * The crash harness: a real `node dist` on a given store, pushed to over V1 and V2 (monolithic
 * and chunked) and pulled through the bridge, killed with SIGKILL at a random point of a push
 * (PHASES in killer.ts; half the time with a second push under way beside it), and started
 * again on the same store and lock directory. After every restart:
 *
 *   - every push that got its success answer (the ledger) pulls back byte-identical, as pushed
 *     (at every FULL_CHECK_EVERY-th restart and the last; at the others, those of the round
 *     before and a sample of the older ones, which keeps 50 kills from costing 50² pulls);
 *     those of the round before also through the bridge (a kill may have cut its derivation);
 *   - of the interrupted push, what a pull can see is whole (the rest is absent);
 *   - `scripts/verify` finds nothing it cannot repair, and after `--repair` exits 0 (run before
 *     the redo, which would overwrite what the kill left; the redo's own writes are verified
 *     after the next restart);
 *   - the interrupted push (or bridged pull) is redone at once: it succeeds within REDO_LIMIT_MS,
 *     well below the 20 s / 30 s a lease or lock of the dead process would hold it up, and no
 *     lock or lease of the dead process is waited out (taken over as stale).
 *
 * Every choice (images, kinds, kill points) comes from one seeded PRNG, so a seed replays the
 * same plan; the moment a kill lands still depends on timing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { VerifyReport } from '../../../lib/maintenance/verify.js';
import { INSTALL_DIR } from '../../../lib/version.js';
import { writeConfig } from '../config.js';
import { type Random, seededRandom } from '../fuzz/random.js';
import { spawnBerth } from '../process.js';
import { type Push, pullAsPushed, pullBridged, push, randomV1Push, randomV2Push, visibleWhole } from './images.js';
import { Killer, type KillPlan, PHASES, type Phase, send } from './killer.js';

/** A redo slower than this waited for something of the dead process. */
export const REDO_LIMIT_MS = 10_000;

export interface CrashRun {
  /** the flavor's YAML lines (storage, lock_dir…), indented for a flavor named `crash` */
  flavorLines: string;
  kills: number;
  seed: number;
  /** where in the seeded order of phases the kills start (another store can take the phases this one does not reach) */
  phaseOffset?: number;
}

export interface CrashFigures {
  kills: number;
  byPhase: Partial<Record<Phase, number>>;
  /**
   * Kills that cut the work they were aimed at, by phase: the target push was interrupted (not
   * acknowledged), or the bridged pull failed. For bridge-derive, whose push is acknowledged
   * first by design, a kill that came from the plan (0-400 ms after the tag's answer) counts;
   * whether the derivation was still running then is not observed.
   */
  inPhase: Partial<Record<Phase, number>>;
  acknowledged: number;
  interrupted: number;
  redone: number;
  slowestRedoMs: number;
  /** locks and push leases of a killed process that a redo took over at once (its holder gone) */
  takenOverAtOnce: number;
  pulledBack: number;
  verifyRepaired: number;
  repairedKinds: string[];
}

/** Work the kill cut: a push to redo, or a bridged pull to make again. */
type Victim = { kind: 'push' | 'pull'; push: Push };

export async function crashRun(run: CrashRun): Promise<CrashFigures> {
  const rnd = seededRandom(run.seed);
  const config = (extra: string) => ({
    DOCKER_REGISTRY_CONFIG: writeConfig(`crash:\n  standalone: true\n  loglevel: error\n${run.flavorLines}${extra}`),
    SETTINGS_FLAVOR: 'crash',
  });
  // Half the restarts without the leftover sweep at start (and so without the periodic one), so
  // that scripts/verify --repair meets what the kill left rather than finding it swept.
  const configs = [config(''), config('  upload_purge_interval: 0\n')];
  const figures: CrashFigures = {
    kills: 0,
    byPhase: {},
    inPhase: {},
    acknowledged: 0,
    interrupted: 0,
    redone: 0,
    slowestRedoMs: 0,
    takenOverAtOnce: 0,
    pulledBack: 0,
    verifyRepaired: 0,
    repairedKinds: [],
  };
  const ledger: Push[] = [];
  const fresh: Push[] = [];
  const victims: Victim[] = [];
  let n = 0;
  const order = shuffled(rnd, PHASES);
  const acknowledged = (p: Push) => {
    ledger.push(p);
    fresh.push(p);
    figures.acknowledged++;
  };

  for (let round = 0; ; round++) {
    const env = rnd.pick(configs);
    const server = spawnBerth(env);
    const base = await server.ready(30_000);
    const context = `round ${round} (BERTH_CRASH_SEED=${run.seed} replays the plan)`;
    try {
      for (const p of pullBackNow(rnd, ledger, fresh, round, run.kills)) {
        await pullAsPushed(base, p);
        figures.pulledBack++;
      }
      for (const p of fresh.splice(0)) await pullBridged(base, p);
      for (const v of victims) if (v.kind === 'push') await visibleWhole(base, v.push);
      // Before the redo, which would overwrite what the kill left.
      verifyClean(env, figures);
      for (const v of victims.splice(0)) {
        const started = Date.now();
        if (v.kind === 'push') {
          assert.ok(await push(base, v.push), 'the redo of the interrupted push succeeds');
          acknowledged(v.push);
        } else await pullBridged(base, v.push);
        const took = Date.now() - started;
        figures.slowestRedoMs = Math.max(figures.slowestRedoMs, took);
        assert.ok(took < REDO_LIMIT_MS, `the redo took ${took} ms: it waited for the dead process`);
        figures.redone++;
      }
      const takeovers = await lockTakeovers(base);
      assert.equal(takeovers.stale, 0, 'no lock or push of the dead process was waited out (taken over as stale)');
      figures.takenOverAtOnce += takeovers.holderGone;
    } catch (err) {
      server.kill('SIGKILL');
      console.error(`      crash safety failed in ${context}; the server's stderr ends:\n${server.stderr().slice(-2000)}`);
      throw err;
    }
    if (round === run.kills) {
      server.kill('SIGTERM');
      await server.exited;
      return figures;
    }

    // A push that gets its answers, then one the kill cuts (or a bridged pull it cuts), now and
    // then with another push under way beside it, which the kill may cut too.
    const filler = await randomPush(rnd, n++);
    assert.ok(await push(base, filler), `${context}: a push without a kill succeeds`);
    acknowledged(filler);
    const plan = killPlan(rnd, order, round + (run.phaseOffset ?? 0));
    const killer = new Killer(plan, () => server.kill('SIGKILL'));
    const cut = async (p: Push): Promise<boolean> => {
      if (await push(base, p, killer)) {
        acknowledged(p);
        return false;
      }
      victims.push({ kind: 'push', push: p });
      figures.interrupted++;
      return true;
    };
    const beside = rnd.chance(0.5) ? await randomPush(rnd, n++) : null;
    const target = plan.phase === 'bridge-pull' ? rnd.pick(ledger) : await pushFor(plan.phase, rnd, n++);
    // The bridged pull is made again after the restart whether or not the kill cut it.
    const pullCut = () =>
      pullBridged(base, target, killer).then(
        () => false,
        (err) => (killer.killed ? true : Promise.reject(err)),
      );
    const [targetCut] = await Promise.all([
      plan.phase === 'bridge-pull'
        ? pullCut().then((wasCut) => {
            victims.push({ kind: 'pull', push: target });
            return wasCut;
          })
        : cut(target),
      beside && cut(beside),
    ]);
    await killer.finish();
    // After finish(), byPlan tells a kill of the plan from one that came after the work ended.
    const landed = killer.byPlan && (plan.phase === 'bridge-derive' ? !targetCut : targetCut);
    if (landed) figures.inPhase[plan.phase] = (figures.inPhase[plan.phase] ?? 0) + 1;
    await server.exited;
    figures.kills++;
    figures.byPhase[plan.phase] = (figures.byPhase[plan.phase] ?? 0) + 1;
  }
}

/** How often the whole ledger is pulled back, and how many older pushes are sampled in between. */
const FULL_CHECK_EVERY = 5;
const SAMPLED = 6;

/** The acknowledged pushes to pull back at this restart (see the header). */
function pullBackNow(rnd: Random, ledger: readonly Push[], fresh: readonly Push[], round: number, kills: number): Push[] {
  if (round % FULL_CHECK_EVERY === 0 || round === kills) return [...ledger];
  const older = shuffled(
    rnd,
    ledger.filter((p) => !fresh.includes(p)),
  ).slice(0, SAMPLED);
  return [...older, ...fresh];
}

/** The phases in a seeded order, cycled: every phase gets its kills, whatever the count. */
function killPlan(rnd: Random, order: readonly Phase[], kill: number): KillPlan {
  const phase = order[kill % order.length] as Phase;
  // Between a V1 image's layer and its checksum, at once: before the checksum goes out.
  const delayMs =
    phase === 'v1-before-checksum' ? 0 : phase === 'bridge-derive' ? rnd.between(0, 400) : phase === 'bridge-pull' ? rnd.between(0, 150) : rnd.between(0, 25);
  return { phase, share: rnd.next(), delayMs };
}

function shuffled<T>(rnd: Random, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function randomPush(rnd: Random, n: number): Promise<Push> {
  const kind = rnd.int(3);
  return kind === 0 ? randomV1Push(rnd, n) : randomV2Push(rnd, n, kind === 2);
}

/** A push that goes through `phase`. */
function pushFor(phase: Phase, rnd: Random, n: number): Promise<Push> {
  if (phase.startsWith('v1-')) return randomV1Push(rnd, n);
  if (phase === 'v2-blob-body' || phase === 'v2-blob-commit') return randomV2Push(rnd, n, false);
  if (phase === 'v2-patch-body' || phase === 'v2-chunk-commit') return randomV2Push(rnd, n, true);
  if (phase === 'v2-manifest') return randomV2Push(rnd, n, rnd.chance(0.5));
  return randomPush(rnd, n);
}

/** berth_lock_takeovers_total of this server process, by reason. */
async function lockTakeovers(base: string): Promise<{ holderGone: number; stale: number }> {
  const metrics = await send(base, 'GET', '/metrics');
  assert.equal(metrics.status, 200);
  const sum = (reason: string) =>
    metrics.body
      .toString()
      .split('\n')
      .filter((line) => line.startsWith('berth_lock_takeovers_total{') && line.includes(`reason="${reason}"`))
      .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
  return { holderGone: sum('holder-gone'), stale: sum('stale') };
}

/** `scripts/verify`: nothing it cannot repair; after `--repair`, exit 0. */
function verifyClean(env: Record<string, string>, figures: CrashFigures): void {
  const verify = (args: string[]) => {
    const run = spawnSync(process.execPath, [path.join(INSTALL_DIR, 'scripts/verify'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: run.status, out: run.stdout, err: run.stderr };
  };
  const first = verify(['--json']);
  if (first.status === 0) return;
  assert.equal(first.status, 1, `scripts/verify: ${first.out}${first.err}`);
  const findings = (JSON.parse(first.out) as VerifyReport).findings;
  assert.deepEqual(
    findings.filter((f) => f.repair !== 'repairable').map((f) => `${f.kind} ${f.path}: ${f.message}`),
    [],
    'findings no repair can fix (a corrupt or half-written object)',
  );
  const repair = verify(['--repair', '--json']);
  const repaired = (JSON.parse(repair.out) as VerifyReport).findings.filter((f) => f.repair === 'repaired');
  figures.verifyRepaired += repaired.length;
  for (const f of repaired) if (!figures.repairedKinds.includes(f.kind)) figures.repairedKinds.push(f.kind);
  const after = verify([]);
  assert.equal(after.status, 0, `scripts/verify after --repair: ${after.out}${after.err}`);
}
