/**
 * berth-purge-uploads: delete V2 upload sessions abandoned longer than the age given (default:
 * the config's upload_purge_age). The same sweep the server runs every upload_purge_interval,
 * for operators who turned that off or want it now. Safe while the server runs.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { HostLocks } from '../services/host-lock.js';
import { BlobStore } from '../services/v2/blobs.js';
import { UploadService } from '../services/v2/uploads.js';
import { createStorage } from '../storage/factory.js';
import { INSTALL_DIR, VERSION } from '../version.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] berth-purge-uploads [--age SECS] [--dry-run]

Deletes docker/registry/v2/repositories/*/_uploads/<uuid> sessions started more than --age
seconds ago (default: upload_purge_age from the config, 604800 = 7 days).
  --dry-run    list what would be deleted, change nothing
  --help, --version`;

export async function main(argv: string[]): Promise<number> {
  let args: { age?: string; 'dry-run'?: boolean; help?: boolean; version?: boolean };
  try {
    args = parseArgs({
      args: argv,
      options: { age: { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean' }, version: { type: 'boolean' } },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help || args.version) {
    console.log(args.help ? USAGE : VERSION);
    return 0;
  }
  const age = args.age === undefined ? null : Number(args.age);
  if (age !== null && !(Number.isFinite(age) && age >= 0)) {
    console.error(`--age: expected seconds (0 or more), got ${JSON.stringify(args.age)}`);
    return 2;
  }
  let config: ReturnType<typeof loadConfig>['config'];
  let storage: ReturnType<typeof createStorage>;
  try {
    config = loadConfig({ env: process.env, cwd: process.cwd(), installDir: INSTALL_DIR }).config;
    storage = createStorage(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return 78;
  }
  try {
    const uploads = new UploadService(storage, new BlobStore(storage), new HostLocks(config.lock_dir));
    const purged = await uploads.purge((age ?? config.upload_purge_age) * 1000, { dryRun: args['dry-run'] === true });
    for (const session of purged) console.log(`${args['dry-run'] ? 'would purge' : 'purged'} ${session}`);
    console.log(`${purged.length} upload session(s) ${args['dry-run'] ? 'to purge' : 'purged'}`);
    return 0;
  } finally {
    await storage.close();
  }
}
