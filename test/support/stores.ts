/** The storage backends an API suite runs on: local disk, and S3 on a real Ceph RGW. */
import type { Config } from '../../lib/config/load.js';
import { loadYaml, testConfig } from './config.js';
import { startTestServer, type TestServer } from './server.js';
import { s3ConfigLines, sharedRgw } from './services.js';
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
