/**
 * What the bridge (lib/services/bridge) refuses to show, rather than show something false or
 * fail: configs too large to hold, V1 ids already taken by other content, layers still being
 * uploaded, tags on images that have no layer of their own. Each ends either in a true view or
 * in a tag recorded as not bridgeable with its reason, and never in a 500.
 */
import assert from 'node:assert/strict';
import { gzipLayer, sha256hex } from '../support/layers.js';
import { API_STORES, serverForSuite } from '../support/stores.js';
import { v1Engine } from '../support/v1-engine.js';
import { DOCKER_MANIFEST } from '../support/v2-client.js';

const MiB = 1024 * 1024;

async function v2Image(files: Record<string, string>, extra: Record<string, unknown> = {}) {
  const layers = [await gzipLayer({ 'base.txt': `base of ${Object.keys(files).join()}\n` }), await gzipLayer(files)];
  const config = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, ...extra };
  return { layers, config };
}

for (const [label, makeConfig] of API_STORES.slice(0, 2)) {
  describe(`the bridge's refusals on ${label}`, function () {
    this.timeout(120_000);
    const suite = serverForSuite(makeConfig);
    const v1 = () => v1Engine(suite.srv.url);
    const bridge = () => {
      const b = suite.srv.services.bridge;
      assert.ok(b);
      return b;
    };

    it('a config over 4 MiB is pushed as ever, and not shown over V1 (it is not read into memory)', async () => {
      const { layers, config } = await v2Image({ 'big.txt': 'big\n' }, { padding: 'x'.repeat(4 * MiB) });
      const configHex = sha256hex(JSON.stringify(config));
      const storage = suite.srv.deps.storage;
      const getContent = storage.getContent;
      const wholeReads: string[] = [];
      storage.getContent = (path, signal) => {
        if (path.includes(configHex) && path.endsWith('/data')) wholeReads.push(path);
        return getContent.call(storage, path, signal);
      };
      const pushed = await suite.api.pushImage(
        'big/config',
        'latest',
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
      assert.equal(pushed.res.status, 201);
      await bridge().idle();
      storage.getContent = getContent;
      assert.deepEqual(wholeReads, [], 'the config was never read whole');
      const record = await bridge().records.get('big/config', 'latest');
      assert.equal(record?.state, 'not-bridgeable');
      assert.match(record?.reason ?? '', /config is \d+ bytes/);
      assert.equal((await v1().call('GET', '/v1/repositories/big/config/tags/latest')).status, 404);
    });
  });
}
