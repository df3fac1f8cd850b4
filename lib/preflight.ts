/**
 * Everything `node dist` checks before it builds anything: the config itself (config/load.ts),
 * the storage driver's settings (storage/validate.ts) and the search index's. `--check-config`
 * runs exactly this, so a config it accepts is one the server starts on; nothing is opened or
 * connected to here.
 */
import { configError, formatIssue, withEnv } from './config/errors.js';
import { type LoadedConfig, type LoadOptions, loadConfig } from './config/load.js';
import { searchIssues } from './search/search-index.js';
import { validateStorage } from './storage/validate.js';

/** The config and every warning about it; throws a ConfigError listing every problem, with the warnings. */
export function preflight(options: LoadOptions): LoadedConfig {
  const { config, warnings } = loadConfig(options);
  const storage = validateStorage(config);
  const issues = [...storage.issues, ...searchIssues(config), ...sharedSecretIssues(config)];
  const all = [...warnings, ...storage.warnings.map((w) => formatIssue(withEnv(w, config.envVars), config.flavor))];
  if (issues.length > 0) throw configError(config, issues, all);
  return { config, warnings: all };
}

/**
 * Several worker processes must sign and check V1 tokens with one key: one that made its own
 * at start could not verify what another signed. One process alone may (it warns).
 */
function sharedSecretIssues(config: LoadedConfig['config']) {
  const authOn = Boolean(config.auth && (config.auth.htpasswd || config.auth.token));
  if (!authOn || config.secret_key || config.workers <= 1) return [];
  return [{ key: 'secret_key', message: `must be set when auth is on and ${config.workers} worker processes share the V1 tokens it signs (any long random string)` }];
}
