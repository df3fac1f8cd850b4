/**
 * Which write of a tag a sync shows (lib/services/bridge/tag-records.ts): a write is told from
 * the one it replaced by more than its time, since two can land in the same millisecond.
 */
import assert from 'node:assert/strict';
import { testConfig } from '../../support/config.js';
import { gzipLayer } from '../../support/layers.js';
import { startTestServer } from '../../support/server.js';
import { DOCKER_MANIFEST, v2Client } from '../../support/v2-client.js';

async function image(text: string) {
  const layer = await gzipLayer({ 'f.txt': `${text}\n` });
  return { layers: [layer.bytes], config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } } };
}

describe('bridge: tag records', () => {
  it('a second write in the same millisecond as the first, while the first is being synced: the other side shows the second', async () => {
    const srv = await startTestServer(testConfig());
    try {
      const api = v2Client(srv.url);
      const bridge = srv.services.bridge;
      assert.ok(bridge);
      const x = await image('x');
      const y = await image('y');
      const pushedY = await api.pushImage('same/ms', 'y', y.layers, { mediaType: DOCKER_MANIFEST, config: y.config });
      await bridge.idle();

      // Once the sync of the first write has read its record, the second write lands, and its
      // record is given the first one's time (a clock that did not tick between them).
      const records = bridge.records;
      const realGet = records.get.bind(records);
      let interleaved = false;
      records.get = async (key, tag) => {
        const got = await realGet(key, tag);
        if (!interleaved && tag === 't' && got?.state === 'pending') {
          interleaved = true;
          assert.equal((await api.putManifest('same/ms', 't', pushedY.bytes.toString(), DOCKER_MANIFEST)).status, 201);
          const second = await realGet(key, tag);
          assert.ok(second);
          await records.put(key, tag, { ...second, at: got.at });
        }
        return got;
      };
      await api.pushImage('same/ms', 't', x.layers, { mediaType: DOCKER_MANIFEST, config: x.config });
      await bridge.idle();
      assert.ok(interleaved);

      const yId = (pushedY.manifest.config as { digest: string }).digest.slice('sha256:'.length);
      assert.equal(await srv.services.v1.tags.get({ namespace: 'same', repository: 'ms' }, 't'), yId, 'V1 shows the second write');
      assert.equal((await realGet('same/ms', 't'))?.target, pushedY.digest);
    } finally {
      await srv.stop();
    }
  });
});
