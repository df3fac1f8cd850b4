/**
 * `berth dump-repos [OUTPUT.json]`: docker-registry's `scripts/dump_repos_data.py`
 * (lib/maintenance/dump-repos.ts), written as it goes, to the file named or to stdout.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { dumpRepos } from '../maintenance/dump-repos.js';
import { createStorage } from '../storage/factory.js';
import { CONFIG_OPTIONS, cliArgs, configChoice, usageError, withConfig } from './cli-args.js';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] berth dump-repos [OUTPUT.json]

For every tagged V1 image, the image and its ancestry with their checksums, per repository:
[{"namespace", "repository", "images": [{"id", "checksum"}]}], as dump_repos_data.py wrote it
(for importing into an index). To OUTPUT.json, or to stdout without one.
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --json             accepted (the output is JSON anyway)
  --help, --version
Exit: 0 done, 1 a tagged image has no ancestry file (left out, named on stderr), 2 usage, 78 config.`;

export async function main(argv: string[]): Promise<number> {
  const positional = argv.filter((a, i) => !a.startsWith('--') && !['--config', '--flavor'].includes(argv[i - 1] ?? ''));
  if (positional.length > 1) return usageError(`expected one output file at most, got ${positional.length}`, USAGE);
  const args = cliArgs(
    argv.filter((a) => a !== positional[0]),
    { json: { type: 'boolean' }, ...CONFIG_OPTIONS },
    USAGE,
  );
  if (typeof args === 'number') return args;
  const opened = withConfig(createStorage, configChoice(args));
  if (typeof opened === 'number') return opened;
  const storage = opened.value;
  const out: Writable = positional[0] ? createWriteStream(positional[0]) : process.stdout;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let missing = 0;
  try {
    let first = true;
    await write('[');
    const onMissingAncestry = (id: string) => {
      missing++;
      console.error(`Ancestry file for ${id} is missing`);
    };
    for await (const repo of dumpRepos(storage, { onMissingAncestry })) {
      await write(`${first ? '' : ','}\n${JSON.stringify(repo, null, 4).replace(/^/gm, '    ')}`);
      first = false;
    }
    await write(first ? ']\n' : '\n]\n');
    return missing > 0 ? 1 : 0;
  } finally {
    if (out !== process.stdout) {
      out.end();
      await once(out, 'close');
    }
    await storage.close();
  }
}
