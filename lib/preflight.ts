/**
 * Everything `node dist` checks before it builds anything: the config itself (config/load.ts),
 * the storage driver's settings (storage/validate.ts), the search index's, a mirror's source, and auth's
 * (auth/validate.ts, which reads the files auth names). `--check-config` runs exactly this, so
 * a config it accepts is one the server starts on; nothing is connected to here.
 */
import { checkAuth } from './auth/validate.js';
import { configError, formatIssue, withEnv } from './config/errors.js';
import { type LoadedConfig, type LoadOptions, loadConfig } from './config/load.js';
import { mirrorIssues } from './mirror/scope.js';
import { searchIssues } from './search/search-index.js';
import { validateStorage } from './storage/validate.js';

/** The config and every warning about it; throws a ConfigError listing every problem, with the warnings. */
export function preflight(options: LoadOptions): LoadedConfig {
  const { config, warnings } = loadConfig(options);
  const storage = validateStorage(config);
  const auth = checkAuth(config);
  const issues = [...storage.issues, ...searchIssues(config), ...auth.issues, ...mirrorIssues(config.mirroring)];
  const all = [...warnings, ...[...storage.warnings, ...auth.warnings].map((w) => formatIssue(withEnv(w, config.envVars), config.flavor))];
  if (issues.length > 0) throw configError(config, issues, all);
  return { config, warnings: all };
}
