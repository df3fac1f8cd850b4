/** Test configs: a YAML text written to a temp file and loaded exactly as `node dist` loads it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, type LoadedConfig, loadConfig } from '../../lib/config/load.js';
import { INSTALL_DIR } from '../../lib/version.js';

export function tempDir(prefix = 'berth-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeConfig(yaml: string): string {
  const file = path.join(tempDir('berth-config-'), 'config.yml');
  writeFileSync(file, yaml);
  return file;
}

export function loadYaml(yaml: string, flavor: string, env: Record<string, string> = {}): LoadedConfig {
  return loadConfig({ env: { SETTINGS_FLAVOR: flavor, DOCKER_REGISTRY_CONFIG: writeConfig(yaml), ...env }, cwd: tempDir(), installDir: INSTALL_DIR });
}

/** A `test` flavor on local storage (a fresh temp dir unless `storage` names one), plus any extra YAML lines for the flavor. */
export function testConfig(extra = '', env: Record<string, string> = {}, storage = tempDir('berth-storage-')): Readonly<Config> {
  const yaml = `test:\n  storage: local\n  storage_path: ${storage}\n  standalone: true\n  loglevel: error\n${extra}`;
  return loadYaml(yaml, 'test', env).config;
}
