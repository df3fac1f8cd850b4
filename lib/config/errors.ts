/**
 * Config problems are collected and reported together, each naming the flavor, the dotted
 * key and, where an `_env:` value supplied it, the environment variable, so an operator can
 * fix every mistake in one edit instead of one restart per mistake. Warnings (unknown keys,
 * defaults worth knowing) are shown with the errors, so a typo behind an error is seen at once.
 */
import type { Config } from './load.js';
import { hideUrlPasswords } from './url-passwords.js';

export interface ConfigIssue {
  /** Dotted key inside the flavor, e.g. `email_exceptions.smtp_port` or `auth.access[1].actions`; empty for the file itself. */
  key: string;
  message: string;
  /** The environment variable that supplied the value, when it came from `_env:`. */
  envVar?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: readonly ConfigIssue[],
    readonly flavor: string,
    readonly file: string,
    readonly warnings: readonly string[] = [],
  ) {
    super(formatIssues(issues, flavor, file, warnings));
  }
}

/** A ConfigError about a loaded config, each issue naming the env var behind its key. */
export function configError(config: Readonly<Config>, issues: readonly ConfigIssue[], warnings: readonly string[] = []): ConfigError {
  return new ConfigError(
    issues.map((i) => withEnv(i, config.envVars)),
    config.flavor,
    config.source.path,
    warnings,
  );
}

/** The dotted key of a path into the config, list positions in brackets: `auth.access[1].actions`. */
export function keyOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/** The env var behind a key, or behind the nearest mapping or list above it (`auth.access` for `auth.access[1].actions`). */
export function withEnv(issue: ConfigIssue, envVars: Readonly<Record<string, string>>): ConfigIssue {
  if (issue.envVar) return issue;
  const ends = [issue.key.length, ...[...issue.key.matchAll(/[.[]/g)].map((m) => m.index).reverse()];
  for (const end of ends) {
    const envVar = envVars[issue.key.slice(0, end)];
    if (envVar) return { ...issue, envVar };
  }
  return issue;
}

export function formatIssue(issue: ConfigIssue, flavor: string): string {
  const where = issue.key ? `${flavor}.${issue.key}` : flavor;
  const env = issue.envVar ? ` (set by env ${issue.envVar})` : '';
  // A message may quote the value it is about: a URL's password stays out of it.
  return `${where}: ${hideUrlPasswords(issue.message)}${env}`;
}

function formatIssues(issues: readonly ConfigIssue[], flavor: string, file: string, warnings: readonly string[]): string {
  const lines = issues.map((i) => `  - ${formatIssue(i, flavor)}`);
  const also = warnings.length > 0 ? `\nwarnings:\n${warnings.map((w) => `  - ${w}`).join('\n')}` : '';
  return `invalid configuration in ${file} (flavor ${JSON.stringify(flavor)}):\n${lines.join('\n')}${also}`;
}
