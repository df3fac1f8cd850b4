/**
 * scripts/glance-restore: arguments and output around lib/maintenance/glance-restore.ts, which
 * moves image objects written to `storage_alternate` while Glance was failing back into Glance
 * and deletes abandoned staging images. Reads the same config as the server
 * (DOCKER_REGISTRY_CONFIG, SETTINGS_FLAVOR).
 */
import { parseArgs } from 'node:util';
import { ConfigError, configError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { glanceRestore } from '../maintenance/glance-restore.js';
import type { GlanceDriver } from '../storage/drivers/glance.js';
import { createGlanceDriver } from '../storage/factory.js';
import { INSTALL_DIR, VERSION } from '../version.js';

const NAME = 'scripts/glance-restore';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] ${NAME} [--dry-run] [--json]

Moves images/<id>/* objects from storage_alternate back into Glance (storage: glance), and
deletes staging images of layer uploads that never finished (older than --staging-age).
  --dry-run            list what would be moved or deleted, change nothing
  --staging-age SECS   age after which an unfinished layer upload is abandoned (default 3600)
  --json               print the result as JSON
  --help, --version`;

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.version) {
    console.log(VERSION);
    return 0;
  }
  const dryRun = Boolean(args['dry-run']);
  const stagingAge = Number(args['staging-age'] ?? 3600);
  if (!Number.isFinite(stagingAge) || stagingAge < 0) {
    console.error(`--staging-age ${args['staging-age']}: expected a number of seconds\n\n${USAGE}`);
    return 2;
  }

  let driver: GlanceDriver;
  try {
    const { config } = loadConfig({ env: process.env, cwd: process.cwd(), installDir: INSTALL_DIR });
    const glance = createGlanceDriver(config);
    if (!glance) throw configError(config, [{ key: 'storage', message: `is ${config.storage}; this tool is for storage: glance` }]);
    driver = glance;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`${NAME}: ${err.message}`);
    return 78;
  }
  try {
    const onMoved = args.json ? undefined : (path: string) => console.log(`moved ${path}`);
    const { paths, staging } = await glanceRestore(driver, { dryRun, stagingAgeMs: stagingAge * 1000, onMoved });
    if (args.json) console.log(JSON.stringify({ dryRun, paths, staging }));
    else {
      if (dryRun) for (const p of paths) console.log(`would move ${p}`);
      for (const s of staging) console.log(`${dryRun ? 'would delete' : 'deleted'} unfinished upload ${s}`);
      console.log(`${paths.length} object(s) ${dryRun ? 'to move' : 'moved'}, ${staging.length} unfinished upload(s) ${dryRun ? 'to delete' : 'deleted'}`);
    }
    return 0;
  } catch (err) {
    console.error(`${NAME}: ${(err as Error).message} (what was moved stays moved; run again once Glance answers)`);
    return 1;
  } finally {
    await driver.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean' },
      'staging-age': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}
