/**
 * The command-line conventions of Berth's operator tools: `--help` and `--version` always,
 * a usage error is exit 2 with the usage text, and a config the tool cannot use is exit 78
 * (EX_CONFIG) with the config error's own message.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/errors.js';
import { type Config, type LoadOptions, loadConfig } from '../config/load.js';
import { INSTALL_DIR, VERSION } from '../version.js';

type Options = Record<string, { type: 'string' | 'boolean' }>;

/** What loadConfig (and preflight) read: the server's environment, with `choice` standing in for its two variables. */
export function loadOptions(choice: ConfigChoice = {}): LoadOptions {
  const env = { ...process.env };
  if (choice.config !== undefined) env.DOCKER_REGISTRY_CONFIG = choice.config;
  if (choice.flavor !== undefined) env.SETTINGS_FLAVOR = choice.flavor;
  return { env, cwd: process.cwd(), installDir: INSTALL_DIR };
}

/** The parsed flags, or the exit code to end with (help/version printed: 0; bad flags: 2). */
export function cliArgs(argv: string[], options: Options, usage: string): Record<string, string | boolean | undefined> | number {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean' }, version: { type: 'boolean' } } }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage}`);
    return 2;
  }
  if (values.help || values.version) {
    console.log(values.help ? usage : VERSION);
    return 0;
  }
  return values;
}

/** `--config FILE` and `--flavor NAME`, for tools that take them: they stand in for DOCKER_REGISTRY_CONFIG and SETTINGS_FLAVOR. */
export const CONFIG_OPTIONS: Options = { config: { type: 'string' }, flavor: { type: 'string' } };

export interface ConfigChoice {
  /** --config: instead of DOCKER_REGISTRY_CONFIG */
  config?: string | undefined;
  /** --flavor: instead of SETTINGS_FLAVOR */
  flavor?: string | undefined;
}

/**
 * The server's config (DOCKER_REGISTRY_CONFIG, SETTINGS_FLAVOR, unless `choice` names others)
 * and what `open` builds from it, or exit 78.
 */
export function withConfig<T>(open: (config: Readonly<Config>) => T, choice: ConfigChoice = {}): { config: Readonly<Config>; value: T } | number {
  try {
    const { config } = loadConfig(loadOptions(choice));
    return { config, value: open(config) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    return 78;
  }
}

/** The `--config`/`--flavor` a tool's flags gave (CONFIG_OPTIONS). */
export function configChoice(args: Record<string, string | boolean | undefined>): ConfigChoice {
  return { config: args.config as string | undefined, flavor: args.flavor as string | undefined };
}

/** Say what is wrong with the command line, then the usage: exit 2. */
export function usageError(message: string, usage: string): number {
  console.error(`${message}\n\n${usage}`);
  return 2;
}
