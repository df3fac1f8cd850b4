import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The install root (holds package.json, config_sample.yml, config/), one level above lib/ or dist/. */
export const INSTALL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const VERSION: string = (JSON.parse(readFileSync(path.join(INSTALL_DIR, 'package.json'), 'utf8')) as { version: string }).version;

/** The docker-registry release whose V1 wire behaviour Berth reproduces; sent as X-Docker-Registry-Version. */
export const V1_COMPAT_VERSION = '0.9.1';
