/**
 * `berth config-check [--connect]`: the same as `node dist --check-config` (check-config.ts),
 * with the operator tools' --config/--flavor.
 */
import { ConfigError } from '../config/errors.js';
import type { LoadedConfig } from '../config/load.js';
import { preflight } from '../preflight.js';
import { checkConfig } from './check-config.js';
import { CONFIG_OPTIONS, cliArgs, configChoice, loadOptions } from './cli-args.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] berth config-check [--connect]

Runs every check the server runs at start (config, storage, search and auth settings) without
starting it, and prints the effective settings as JSON, secrets redacted (node dist --check-config).
  --connect          also list the storage root
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --help, --version
Exit: 0 ok, 2 usage, 69 the storage did not answer (--connect), 78 config errors.`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(argv, { connect: { type: 'boolean' }, ...CONFIG_OPTIONS }, USAGE);
  if (typeof args === 'number') return args;
  let loaded: LoadedConfig;
  try {
    loaded = preflight(loadOptions(configChoice(args)));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`berth: ${err.message}`);
    return 78;
  }
  return checkConfig(loaded, args.connect === true);
}
