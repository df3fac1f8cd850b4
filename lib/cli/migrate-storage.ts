/**
 * `berth migrate-storage`: copy a whole store from one configured driver to another
 * (lib/maintenance/migrate-storage.ts), resumable and verified.
 */
import { formatBytes } from '../maintenance/leftovers.js';
import { migrateStorage } from '../maintenance/migrate-storage.js';
import type { StorageDriver } from '../storage/driver.js';
import { createStorage } from '../storage/factory.js';
import { cliArgs, usageError, withConfig } from './cli-args.js';
import { progress } from './progress.js';

const USAGE = `Usage: berth migrate-storage --from FLAVOR --to FLAVOR [--config FILE] [--checkpoint FILE] [--concurrency N] [--dry-run] [--json]
       berth migrate-storage --from-config FILE --to-config FILE [--from FLAVOR] [--to FLAVOR] …

Copies every object of the source store (V1 and V2 trees, the bridge's records, everything)
into the target store, between any two drivers (local, s3, glance): streamed, a few objects
at a time, each read back and compared (size and sha256) once written. Killed, it goes on
where it was when run again with the same --checkpoint; objects the target already holds with
the same bytes are not copied again. Stop the server (or make it read-only) first.
  --from FLAVOR          the source's flavor (default SETTINGS_FLAVOR)
  --to FLAVOR            the target's flavor (default SETTINGS_FLAVOR)
  --config FILE          the config file of both (instead of DOCKER_REGISTRY_CONFIG)
  --from-config FILE     the source's config file, when they are in two files
  --to-config FILE       the target's config file
  --checkpoint FILE      where the copied objects are recorded (default
                         berth-migrate-<from>-<to>.checkpoint in the current directory);
                         a recorded object the target lacks (or holds at another size)
                         is copied again
  --concurrency N        objects copied at once (default 4)
  --dry-run              count what would be copied, change nothing
  --json                 print the report as JSON
  --help, --version
Exit: 0 every object copied and verified, the counts match; 1 some failed or the counts
differ (the report says which), 2 usage, 78 config.`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(
    argv,
    {
      from: { type: 'string' },
      to: { type: 'string' },
      config: { type: 'string' },
      'from-config': { type: 'string' },
      'to-config': { type: 'string' },
      checkpoint: { type: 'string' },
      concurrency: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const str = (k: string) => args[k] as string | undefined;
  const source = { config: str('from-config') ?? str('config'), flavor: str('from') };
  const target = { config: str('to-config') ?? str('config'), flavor: str('to') };
  if (source.config === target.config && source.flavor === target.flavor) {
    return usageError('name the source and the target: --from FLAVOR --to FLAVOR, or --from-config FILE --to-config FILE', USAGE);
  }
  const concurrency = args.concurrency === undefined ? 4 : Number(args.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    return usageError(`--concurrency: expected a whole number from 1 to 64, got ${JSON.stringify(args.concurrency)}`, USAGE);
  }
  const from = withConfig(createStorage, source);
  if (typeof from === 'number') return from;
  const to = withConfig(createStorage, target);
  if (typeof to === 'number') {
    await from.value.close();
    return to;
  }
  const checkpoint = str('checkpoint') ?? `berth-migrate-${from.config.flavor}-${to.config.flavor}.checkpoint`;
  return run(from.value, to.value, { checkpoint, concurrency, dryRun: args['dry-run'] === true, json: args.json === true });
}

async function run(from: StorageDriver, to: StorageDriver, o: { checkpoint: string; concurrency: number; dryRun: boolean; json: boolean }): Promise<number> {
  const bar = progress(o.dryRun ? 'migrate-storage (dry run)' : 'migrate-storage');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const report = await migrateStorage(from, to, {
      checkpoint: o.checkpoint,
      concurrency: o.concurrency,
      dryRun: o.dryRun,
      signal: controller.signal,
      onObject: (path) => bar.tick(path),
    });
    bar.stop();
    const countsMatch = report.target === null || report.target === report.source;
    if (o.json) console.log(JSON.stringify({ ...report, checkpoint: o.checkpoint, countsMatch }, null, 2));
    else {
      for (const f of report.failed) console.log(`failed ${f.path}: ${f.error}`);
      console.log(
        `${report.source} object(s) in the source: ${report.copied} ${o.dryRun ? 'to copy' : `copied and verified (${formatBytes(report.bytes)})`}, ` +
          `${report.skipped} already there, ${report.failed.length} failed` +
          (report.target === null ? '' : `; the target holds ${report.target}${countsMatch ? ', the same count' : `, not ${report.source}`}`),
      );
    }
    return report.failed.length > 0 || !countsMatch ? 1 : 0;
  } catch (err) {
    bar.stop();
    console.error(`berth migrate-storage: ${controller.signal.aborted ? 'interrupted; run again to go on' : `could not finish: ${(err as Error).message}`}`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await Promise.allSettled([from.close(), to.close()]);
  }
}
