/**
 * `berth gc`: online garbage collection of both trees (lib/maintenance/gc.ts), safe while the
 * server takes pushes.
 */

import { createLogger } from '../logging/logger.js';
import { collectGarbage, type Swept } from '../maintenance/gc.js';
import { formatBytes } from '../maintenance/leftovers.js';
import { operatorLocking } from '../services/shared-locking.js';
import { createStorage } from '../storage/factory.js';
import { CONFIG_OPTIONS, cliArgs, configChoice, usageError, withConfig } from './cli-args.js';
import { progress } from './progress.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] berth gc [--dry-run] [--untagged] [--grace DURATION] [--json]

Marks every V1 image a tag reaches (through its ancestry) and every V2 manifest and blob a tag
or manifest reaches (index children, referrers, subjects, the bridge's links), then deletes
the V1 images and V2 blobs nothing reaches. Safe while the server takes pushes: nothing
younger than the grace period, no push in progress, and nothing re-linked during the run is
deleted (it takes the servers' locks: lock_dir, so run it on the server's host, or the cache Redis
of several instances).
  --dry-run          list what would be deleted, change nothing
  --untagged         also delete manifests no tag reaches (and then their blobs)
  --grace DURATION   keep what changed less than this long ago (default 1h; 90s, 30m, 2h, 1d,
                     or seconds)
  --json             print the report (and each object) as JSON
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --help, --version
Exit: 0 nothing to collect (or collected), 1 a dry run found garbage, or the run failed,
      2 usage, 78 config.`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(
    argv,
    { 'dry-run': { type: 'boolean' }, untagged: { type: 'boolean' }, grace: { type: 'string' }, json: { type: 'boolean' }, ...CONFIG_OPTIONS },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const grace = args.grace === undefined ? 3600 : parseDuration(String(args.grace));
  if (grace === null) return usageError(`--grace: expected a duration (90s, 30m, 1h, 1d or seconds), got ${JSON.stringify(args.grace)}`, USAGE);
  const opened = withConfig((config) => createStorage(config), configChoice(args));
  if (typeof opened === 'number') return opened;
  const storage = opened.value;
  // The locks the servers take (lock_dir on this host, or the `cache` Redis of several instances).
  const { locks, close: closeLocks } = operatorLocking(opened.config, createLogger('warn').child({ name: 'gc' }));
  const dryRun = args['dry-run'] === true;
  const bar = progress(dryRun ? 'gc (dry run)' : 'gc');
  const swept: Swept[] = [];
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const report = await collectGarbage(storage, {
      dryRun,
      untagged: args.untagged === true,
      graceMs: grace * 1000,
      locks,
      signal: controller.signal,
      onItem: (what) => bar.tick(what),
      onSweep: (s) => {
        if (args.json) swept.push(s);
        else console.log(`${dryRun ? 'would delete' : 'deleted'} ${s.kind} ${s.name}${s.bytes ? ` (${formatBytes(s.bytes)})` : ''}`);
      },
    });
    bar.stop();
    if (args.json) console.log(JSON.stringify({ ...report, objects: swept }, null, 2));
    else {
      const s = report.swept;
      console.log(
        `${dryRun ? 'would free' : 'freed'} ${report.freed.objects} object(s), ${formatBytes(report.freed.bytes)}: ${s.v1Images} V1 image(s), ` +
          `${s.v2Blobs} V2 blob(s), ${s.v2Manifests} untagged manifest(s)${dryRun ? '' : `, ${s.links} link(s)`}; ` +
          `examined ${report.examined.v1Images} V1 image(s), ${report.examined.v2Blobs} V2 blob(s), ${report.examined.repositories} V2 repositor${report.examined.repositories === 1 ? 'y' : 'ies'}; ` +
          `${report.spared} spared as in use when checked again; grace ${report.graceSeconds} s`,
      );
    }
    return dryRun && report.freed.objects > 0 ? 1 : 0;
  } catch (err) {
    bar.stop();
    console.error(`berth gc: ${controller.signal.aborted ? 'interrupted; what was deleted stays deleted' : `could not finish: ${(err as Error).message}`}`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await closeLocks();
    await storage.close();
  }
}

/** `90s`, `30m`, `1h`, `1d`, `3600` → seconds; null when it is none of those. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/.exec(text);
  if (!m) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}
