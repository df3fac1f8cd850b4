/** The storage backends an API suite runs on: local disk, S3 on a real Ceph RGW, and Glance (a real glance-api) with its alternate. */
import type { Config } from '../../lib/config/load.js';
import { loadYaml, tempDir, testConfig } from './config.js';
import { startTestServer, type TestServer } from './server.js';
import { s3ConfigLines, sharedGlance, sharedRgw } from './services.js';
import { v2Client } from './v2-client.js';

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
  [
    // Glance holds V1 image objects only; everything V2 goes to storage_alternate, as V1's repositories/ does.
    'Glance (V2 data on storage_alternate)',
    async (extra = '') => {
      const glance = await sharedGlance();
      if (!glance) return null;
      const yaml = `t:\n  standalone: true\n  loglevel: error\n  storage: glance\n  glance_url: ${glance.url}\n  storage_alternate: file\n  storage_path: ${tempDir()}\n${extra}`;
      return loadYaml(yaml, 't').config;
    },
  ],
];

/**
 * One server for the enclosing describe() on `makeConfig`'s store, with a V2 client; the
 * suite is skipped (outside CI) when the store's service is not installed.
 */
export function serverForSuite(makeConfig: StoreConfig): { srv: TestServer; api: ReturnType<typeof v2Client> } {
  const state = {} as { srv: TestServer; api: ReturnType<typeof v2Client> };
  before(async function () {
    const config = await makeConfig();
    if (!config) return this.skip();
    state.srv = await startTestServer(config);
    state.api = v2Client(state.srv.url);
  });
  after(() => state.srv?.stop());
  return state;
}
