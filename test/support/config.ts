/** Test configs: a YAML text written to a temp file and loaded exactly as `node dist` loads it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Config, type LoadedConfig, loadConfig } from '../../lib/config/load.js';
import { INSTALL_DIR } from '../../lib/version.js';

const created: string[] = [];

/** A fresh directory, removed by removeTempDirs() once every suite has run (services-hooks.ts). */
export function tempDir(prefix = 'berth-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Remove every tempDir(); only call it once nothing (no server, no spawned process) uses them. */
export async function removeTempDirs(): Promise<string[]> {
  const dirs = created.splice(0);
  const failed: string[] = [];
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }).catch(() => failed.push(d))));
  return failed;
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
