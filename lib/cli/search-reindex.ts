/**
 * `berth search-reindex`: the /v1/search index made to list exactly the V1 repositories in
 * storage (lib/maintenance/search-reindex.ts).
 */
import { ConfigError } from '../config/errors.js';
import { searchReindex } from '../maintenance/search-reindex.js';
import { SearchIndex } from '../search/search-index.js';
import { createStorage } from '../storage/factory.js';
import { CONFIG_OPTIONS, cliArgs, configChoice, withConfig } from './cli-args.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] berth search-reindex [--dry-run] [--json]

Adds every V1 repository in storage that the search index (search_backend) lacks, and removes
those it lists that storage no longer holds. Safe while the server runs.
  --dry-run          list what would change, change nothing
  --json             print the report as JSON
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --help, --version
Exit: 0 the index matched (or now does), 1 a dry run found differences, 2 usage, 78 config.`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(argv, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, ...CONFIG_OPTIONS }, USAGE);
  if (typeof args === 'number') return args;
  const opened = withConfig((config) => {
    const index = SearchIndex.open(config);
    if (!index)
      throw new ConfigError([{ key: 'search_backend', message: 'is not set: there is no search index to rebuild' }], config.flavor, config.source.path);
    return { index, storage: createStorage(config) };
  }, configChoice(args));
  if (typeof opened === 'number') return opened;
  const { index, storage } = opened.value;
  try {
    const dryRun = args['dry-run'] === true;
    const report = await searchReindex(storage, index, dryRun);
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
      for (const name of report.added) console.log(`${dryRun ? 'would add' : 'added'} ${name}`);
      for (const name of report.removed) console.log(`${dryRun ? 'would remove' : 'removed'} ${name}`);
      console.log(
        `${report.stored} repositor${report.stored === 1 ? 'y' : 'ies'} in storage; ${report.added.length} added, ${report.removed.length} removed${dryRun ? ' (dry run)' : ''}`,
      );
    }
    return dryRun && report.added.length + report.removed.length > 0 ? 1 : 0;
  } finally {
    index.close();
    await storage.close();
  }
}
