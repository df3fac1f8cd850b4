/**
 * scripts/verify: an fsck of the store (lib/maintenance/verify.ts): recompute V1 payload
 * checksums and V2 blob digests, check the structure, list what is wrong and, with --repair,
 * make the safe fixes. Reads the server's config (DOCKER_REGISTRY_CONFIG, SETTINGS_FLAVOR, or
 * --config/--flavor); safe while the server runs.
 */

import { createLogger } from '../logging/logger.js';
import { type Finding, type VerifyReport, verifyStore } from '../maintenance/verify.js';
import { operatorLocking } from '../services/shared-locking.js';
import type { StorageDriver } from '../storage/driver.js';
import { createStorage } from '../storage/factory.js';
import { CONFIG_OPTIONS, cliArgs, withConfig } from './cli-args.js';
import { progress } from './progress.js';

const NAME = 'scripts/verify';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] ${NAME} [--repair] [--sample N%] [--json]

Checks the whole store: recomputes every V1 payload checksum and every V2 blob digest, and
finds JSON without its parent, missing or wrong ancestry, tags and links pointing at nothing,
manifests whose blobs are gone, stale _inprogress marks, abandoned V2 uploads and what
crashed writers left behind.
  --repair           make the safe fixes: rebuild missing ancestry, drop pushes abandoned for
                     longer than --age that nothing refers to, purge abandoned uploads, reclaim
                     crash leftovers; everything else is listed for you
  --sample N%        recompute only N% of the checksums and digests (a quick pass); the
                     structure is always checked whole
  --age SECS         V2 uploads and V1 pushes untouched this long are abandoned
                     (default: upload_purge_age)
  --leftover-age SECS  crash leftovers of other hosts, S3 and Glance count as abandoned once
                     untouched this long (default: leftover_age)
  --json             print the report as JSON
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --help, --version
Exit: 0 nothing (left) to fix, 1 findings (the report lists them), 2 usage, 78 config.
Progress goes to stderr: a bar on a terminal, a line every 10 s otherwise.`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(
    argv,
    {
      repair: { type: 'boolean' },
      sample: { type: 'string' },
      age: { type: 'string' },
      'leftover-age': { type: 'string' },
      json: { type: 'boolean' },
      ...CONFIG_OPTIONS,
    },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const sample = args.sample === undefined ? 1 : parseSample(String(args.sample));
  if (sample === null) return usage(`--sample: expected a percentage above 0 and up to 100 (10%), got ${JSON.stringify(args.sample)}`);
  const age = secondsArg(args.age, 'age');
  const leftoverAge = secondsArg(args['leftover-age'], 'leftover-age');
  if (age === undefined || leftoverAge === undefined) return 2;

  const choice = { config: args.config as string | undefined, flavor: args.flavor as string | undefined };
  const opened = withConfig((config) => {
    const storage = createStorage(config);
    // Repairs go through the cache_lru wrapper when there is one, so that a cached copy of what they remove goes too.
    const writer: StorageDriver = config.cache_lru.host ? createStorage(config, { log: createLogger('warn').child({ name: 'verify' }) }) : storage;
    return { storage, writer };
  }, choice);
  if (typeof opened === 'number') return opened;
  const { config, value: stores } = opened;
  // The locks the servers take (lock_dir on this host, or the `cache` Redis of several instances), so a repair never races a push.
  const log = createLogger('warn').child({ name: 'verify' });
  const { locks, close: closeLocks } = operatorLocking(config, log);
  const bar = progress('verify');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const report = await verifyStore(stores.storage, {
      repair: args.repair === true,
      sample,
      uploadAgeMs: (age ?? config.upload_purge_age) * 1000,
      leftoverAgeMs: (leftoverAge ?? config.leftover_age) * 1000,
      mirror: Boolean(config.mirroring.source),
      locks,
      writer: stores.writer,
      signal: controller.signal,
      onTotal: (n) => bar.total(n),
      onItem: (what) => bar.tick(what),
    });
    bar.stop();
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else printReport(report);
    return report.remaining > 0 ? 1 : 0;
  } catch (err) {
    bar.stop();
    if (controller.signal.aborted) {
      console.error(`${NAME}: interrupted; what was repaired stays repaired`);
      return 1;
    }
    console.error(`${NAME}: could not finish: ${(err as Error).message}`);
    return 1;
  } finally {
    await closeLocks();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await Promise.allSettled([stores.storage.close(), stores.writer === stores.storage ? null : stores.writer.close()]);
  }
}

function printReport(report: VerifyReport): void {
  for (const f of report.findings) console.log(`${f.kind} ${f.path}: ${f.message}${repairNote(f, report.repair)}`);
  const c = report.checked;
  const pct = report.sample < 1 ? ` (a ${Math.round(report.sample * 1000) / 10}% sample)` : '';
  console.log(
    `checked ${c.images} V1 image(s) (${c.checksums} checksum(s) recomputed${pct}, ${c.withoutChecksum} without one), ${c.v1Tags} V1 tag(s), ` +
      `${c.blobs} blob(s) (${c.digests} digest(s) recomputed${pct}), ${c.repositories} V2 repositor${c.repositories === 1 ? 'y' : 'ies'}, ` +
      `${c.v2Tags} V2 tag(s), ${c.links} link(s)`,
  );
  const repaired = report.findings.filter((f) => f.repair === 'repaired').length;
  const repairable = report.findings.filter((f) => f.repair === 'repairable').length;
  if (report.findings.length === 0) console.log('no findings');
  else if (report.repair) console.log(`${report.findings.length} finding(s): ${repaired} repaired, ${report.remaining} left for you`);
  else console.log(`${report.findings.length} finding(s), ${repairable} of them repairable with --repair`);
}

function repairNote(f: Finding, repairing: boolean): string {
  if (f.repair === 'repaired') return ' [repaired]';
  if (f.repair === 'failed') return ` [repair failed: ${f.error}]`;
  if (f.repair === 'repairable') return repairing ? ' [left: changed meanwhile]' : ' [--repair fixes it]';
  return '';
}

/** `10%`, `10` or `0.5%` → 0.1, 0.1, 0.005; null when it is not a share above 0 and up to 100%. */
export function parseSample(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m) return null;
  const pct = Number(m[1]);
  return pct > 0 && pct <= 100 ? pct / 100 : null;
}

function usage(message: string): number {
  console.error(`${message}\n\n${USAGE}`);
  return 2;
}

/** A `--name SECS` value: null when absent, undefined (after saying why) when it is not seconds. */
function secondsArg(raw: string | boolean | undefined, name: string): number | null | undefined {
  if (raw === undefined) return null;
  const n = Number(raw);
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(n) && n >= 0) return n;
  usage(`--${name}: expected seconds (0 or more), got ${JSON.stringify(raw)}`);
  return undefined;
}
