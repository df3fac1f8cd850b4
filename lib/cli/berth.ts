/**
 * `berth`: the operator tools behind one command. Each subcommand is a module with
 * `main(argv): Promise<exit code>`, loaded only when asked for; `scripts/` keeps the old names
 * as thin wrappers of the same modules.
 */
import { VERSION } from '../version.js';

type Main = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ main: Main }> }> = {
  gc: { summary: 'delete V1 images and V2 blobs nothing refers to (online, --dry-run first)', load: () => import('./gc.js') },
  verify: { summary: 'check checksums, digests and structure of the whole store; --repair the safe fixes', load: () => import('./verify.js') },
  'migrate-storage': { summary: 'copy a whole store between two configured drivers, resumable', load: () => import('./migrate-storage.js') },
  'dump-repos': { summary: 'tagged images and ancestry per repository (dump_repos_data.py format)', load: () => import('./dump-repos.js') },
  'search-reindex': { summary: 'make the /v1/search index list exactly the stored repositories', load: () => import('./search-reindex.js') },
  'config-check': { summary: 'run the startup checks and print the effective settings (node dist --check-config)', load: () => import('./config-check.js') },
  'purge-uploads': { summary: 'delete abandoned V2 upload sessions and crash leftovers', load: () => import('./purge-uploads.js') },
  'bridge-sync': { summary: 'show every V1 tag over V2 and every V2 tag over V1 (a store filled before)', load: () => import('./bridge-sync.js') },
  'glance-restore': { summary: 'move objects written to storage_alternate back into Glance', load: () => import('./glance-restore.js') },
  'diff-worker': { summary: 'compute the /diff of queued images (diff-worker.py)', load: () => import('./diff-worker.js') },
};

export const USAGE = `Usage: berth COMMAND [options]   (berth COMMAND --help for each)

Berth's operator tools. Every command reads the server's config (DOCKER_REGISTRY_CONFIG and
SETTINGS_FLAVOR, or --config FILE and --flavor NAME) and exits 0 clean, 1 findings, 2 usage,
78 config; those that write take --dry-run. Progress goes to stderr (a bar on a terminal, a
line every 10 s otherwise), results to stdout (--json for a machine).

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`)
  .join('\n')}`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? console.error : console.log)(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    console.log(VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`berth: unknown command ${JSON.stringify(name)}\n\n${USAGE}`);
    return 2;
  }
  return (await command.load()).main(rest);
}
