/** The storage backends an API suite runs on: local disk, and S3 on a real Ceph RGW. */
import type { Config } from '../../lib/config/load.js';
import { loadYaml, testConfig } from './config.js';
import { s3ConfigLines, sharedRgw } from './services.js';

export type StoreConfig = (extra?: string) => Promise<Readonly<Config> | null>;

export const API_STORES: Array<[label: string, makeConfig: StoreConfig]> = [
  ['local storage', async (extra = '') => testConfig(extra)],
  [
    'S3 (Ceph RGW)',
    async (extra = '') => {
      const rgw = await sharedRgw();
      if (!rgw) return null;
      return loadYaml(`t:\n  standalone: true\n  loglevel: error\n${await s3ConfigLines(rgw, 'berth-v2')}${extra}`, 't').config;
    },
  ],
];
