/**
 * scripts/purge-uploads: delete V2 upload sessions abandoned longer than the age given
 * (default: the config's upload_purge_age). The same sweep the server runs every
 * upload_purge_interval (lib/maintenance/purge-uploads.ts), for operators who turned that off
 * or want it now. Safe while the server runs.
 */
import { purgeUploads } from '../maintenance/purge-uploads.js';
import { createStorage } from '../storage/factory.js';
import { cliArgs, withConfig } from './cli-args.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] scripts/purge-uploads [--age SECS] [--dry-run]

Deletes docker/registry/v2/repositories/*/_uploads/<uuid> sessions started more than --age
seconds ago (default: upload_purge_age from the config, 604800 = 7 days).
  --dry-run    list what would be deleted, change nothing
  --help, --version`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(argv, { age: { type: 'string' }, 'dry-run': { type: 'boolean' } }, USAGE);
  if (typeof args === 'number') return args;
  const age = args.age === undefined ? null : Number(args.age);
  if (age !== null && !(Number.isFinite(age) && age >= 0)) {
    console.error(`--age: expected seconds (0 or more), got ${JSON.stringify(args.age)}`);
    return 2;
  }
  const opened = withConfig(createStorage);
  if (typeof opened === 'number') return opened;
  const { config, value: storage } = opened;
  try {
    const dryRun = args['dry-run'] === true;
    const purged = await purgeUploads(storage, (age ?? config.upload_purge_age) * 1000, { dryRun });
    for (const session of purged) console.log(`${dryRun ? 'would purge' : 'purged'} ${session}`);
    console.log(`${purged.length} upload session(s) ${dryRun ? 'to purge' : 'purged'}`);
    return 0;
  } finally {
    await storage.close();
  }
}
