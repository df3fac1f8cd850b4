/**
 * scripts/bridge-sync: show every V1 tag of an existing store over V2 and every V2 tag over V1
 * (lib/maintenance/bridge-sync.ts). Reads the same config as the server; safe while it runs,
 * and a run stopped halfway goes on where it was when started again.
 */
import { ConfigError } from '../config/errors.js';
import { buildDeps, closeDeps } from '../deps.js';
import { createLogger } from '../logging/logger.js';
import { bridgeSync } from '../maintenance/bridge-sync.js';
import { buildServices } from '../services/index.js';
import { CONFIG_OPTIONS, cliArgs, configChoice, withConfig } from './cli-args.js';
import { progress } from './progress.js';

const NAME = 'scripts/bridge-sync';

const USAGE = `Usage: [SETTINGS_FLAVOR=prod] [DOCKER_REGISTRY_CONFIG=config.yml] ${NAME} [--dry-run] [--json]

Shows every V1 tag over V2 and every V2 tag over V1 (what the server does for each push while
bridge is on), for a store filled before: one pass over both trees, resumable.
  --dry-run    list what would be bridged, change nothing
  --json       print the report as JSON
  --config FILE      the config file (instead of DOCKER_REGISTRY_CONFIG)
  --flavor NAME      the flavor (instead of SETTINGS_FLAVOR)
  --help, --version
Exit: 0 every tag is shown on both sides, 1 some could not be (the report says why),
      2 usage, 78 config.`;

export async function main(argv: string[]): Promise<number> {
  const args = cliArgs(argv, { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, ...CONFIG_OPTIONS }, USAGE);
  if (typeof args === 'number') return args;
  const opened = withConfig((config) => {
    if (!config.bridge)
      throw new ConfigError([{ key: 'bridge', message: 'is false: turn the bridge on to bridge a store' }], config.flavor, config.source.path);
    return buildDeps(config, createLogger('warn').child({ name: 'bridge-sync' }), { mailer: null, search: null });
  }, configChoice(args));
  if (typeof opened === 'number') return opened;
  const { value: deps } = opened;
  const { bridge } = buildServices(deps);
  if (!bridge) throw new Error('unreachable: bridge is on');
  const bar = progress('bridge-sync');
  try {
    const report = await bridgeSync(deps.storage, bridge, {
      dryRun: args['dry-run'] === true,
      onTotal: (n) => bar.total(n),
      onTag: (t) => bar.tick(`${t.repository}:${t.tag}`),
    });
    await bridge.idle();
    bar.stop();
    if (args.json) console.log(JSON.stringify(report, null, 2));
    else {
      const verb = report.dryRun ? 'to bridge' : 'bridged';
      for (const t of report.bridged) console.log(`${verb}: ${t.side === 'v1' ? 'V1' : 'V2'} ${t.repository}:${t.tag}`);
      for (const t of report.notBridgeable) console.log(`not bridgeable: ${t.side === 'v1' ? 'V1' : 'V2'} ${t.repository}:${t.tag}: ${t.reason}`);
      for (const t of report.failed) console.log(`failed: ${t.side === 'v1' ? 'V1' : 'V2'} ${t.repository}:${t.tag}: ${t.error}`);
      console.log(
        `${report.found} tag(s) found: ${report.bridged.length} ${verb}, ${report.skipped} already bridged, ${report.superseded} superseded by a newer write, ` +
          `${report.notBridgeable.length} not bridgeable, ${report.failed.length} failed`,
      );
    }
    return report.notBridgeable.length + report.failed.length > 0 ? 1 : 0;
  } finally {
    bar.stop();
    await closeDeps(deps);
  }
}
