/**
 * Which config file to read, following docker-registry: `DOCKER_REGISTRY_CONFIG` (absolute,
 * else relative to the working directory, else to the install's `config/`), default
 * `config.yml`. With neither the variable nor a `config.yml`, Berth runs on the shipped
 * `config_sample.yml` (the "embedded default") and says so in its banner.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.js';

export interface ConfigSource {
  path: string;
  /** true when no config was named or found and the shipped sample is used */
  embedded: boolean;
}

export function locateConfig(named: string | undefined, cwd: string, installDir: string): ConfigSource {
  if (named) {
    const tried = path.isAbsolute(named) ? [named] : [path.resolve(cwd, named), path.join(installDir, 'config', named)];
    const found = tried.find((p) => existsSync(p));
    if (found) return { path: found, embedded: false };
    throw new ConfigError(
      [{ key: '', envVar: 'DOCKER_REGISTRY_CONFIG', message: `Heads-up! File is missing: ${tried.join(' (nor ')}${tried.length > 1 ? ')' : ''}` }],
      '(none)',
      named,
    );
  }
  const candidates = [path.resolve(cwd, 'config.yml'), path.resolve(cwd, 'config', 'config.yml'), path.join(installDir, 'config', 'config.yml')];
  const found = candidates.find((p) => existsSync(p));
  if (found) return { path: found, embedded: false };
  return { path: path.join(installDir, 'config_sample.yml'), embedded: true };
}
