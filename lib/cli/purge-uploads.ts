/**
 * scripts/purge-uploads: delete V2 upload sessions abandoned longer than the age given
 * (default: the config's upload_purge_age), and reclaim crash leftovers (temp files, S3
 * multipart uploads, Glance staging images) whose writer is gone. The same sweep the server
 * runs every upload_purge_interval (lib/maintenance/purge-uploads.ts, leftovers.ts), for
 * operators who turned that off or want it now. Safe while the server runs.
 */
import { formatBytes, reclaimLeftovers } from '../maintenance/leftovers.js';
import { purgeUploads } from '../maintenance/purge-uploads.js';
import { createStorage } from '../storage/factory.js';
import { CONFIG_OPTIONS, cliArgs, configChoice, withConfig } from './cli-args.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] scripts/purge-uploads [--age SECS] [--leftover-age SECS] [--dry-run]

Deletes docker/registry/v2/repositories/*/_uploads/<uuid> sessions started more than --age
seconds ago (default: upload_purge_age from the config, 604800 = 7 days), and what crashed
writers left behind: temp files of a dead process of this host, and temp files, S3 multipart
uploads and Glance staging images untouched for --leftover-age seconds (default: leftover_age,
86400 = 1 day).
  --dry-run    list what would be deleted, change nothing
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --help, --version`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(argv, { age: { type: 'string' }, 'leftover-age': { type: 'string' }, 'dry-run': { type: 'boolean' }, ...CONFIG_OPTIONS }, USAGE);
  if (typeof args === 'number') return args;
  const age = secondsArg(args, 'age');
  const leftoverAge = secondsArg(args, 'leftover-age');
  if (age === undefined || leftoverAge === undefined) return 2;
  const opened = withConfig(createStorage, configChoice(args));
  if (typeof opened === 'number') return opened;
  const { config, value: storage } = opened;
  try {
    const dryRun = args['dry-run'] === true;
    const purged = await purgeUploads(storage, (age ?? config.upload_purge_age) * 1000, { dryRun });
    for (const session of purged) console.log(`${dryRun ? 'would purge' : 'purged'} ${session}`);
    console.log(`${purged.length} upload session(s) ${dryRun ? 'to purge' : 'purged'}`);
    const leftovers = await reclaimLeftovers(storage, { maxAgeMs: (leftoverAge ?? config.leftover_age) * 1000, dryRun });
    for (const l of leftovers) {
      const verb = dryRun ? 'would reclaim' : l.error === undefined ? 'reclaimed' : 'could not reclaim';
      console.log(`${verb} ${l.kind} ${l.name}: ${l.error ?? l.reason}`);
    }
    const bytes = leftovers.filter((l) => l.error === undefined).reduce((sum, l) => sum + (l.size ?? 0), 0);
    console.log(`${leftovers.length} crash leftover(s) ${dryRun ? 'to reclaim' : 'reclaimed'} (${formatBytes(bytes)})`);
    return leftovers.some((l) => l.error !== undefined) ? 1 : 0;
  } finally {
    await storage.close();
  }
}

/** A `--name SECS` value: null when absent, undefined (after saying why) when it is not seconds. */
function secondsArg(args: Record<string, string | boolean | undefined>, name: string): number | null | undefined {
  const raw = args[name];
  if (raw === undefined) return null;
  const n = Number(raw);
  if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(n) && n >= 0) return n;
  console.error(`--${name}: expected seconds (0 or more), got ${JSON.stringify(raw)}`);
  return undefined;
}
