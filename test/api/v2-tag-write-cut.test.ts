/**
 * A tag write cut off halfway (the process killed, the disk failing) between the two links a
 * V2 tag has (registry:2's `current/link` and its `index/` entry): every tag the tag list shows
 * still pulls. The crash harness (test/e2e/crash-safety.test.ts) found a kill -9 there leaving a
 * tag listed whose manifest was unknown, and scripts/verify reporting it as a dangling tag: the
 * index link was written first.
 */
import assert from 'node:assert/strict';
import type { StorageDriver } from '../../lib/storage/driver.js';
import { createStorage } from '../../lib/storage/factory.js';
import { testConfig } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

/** The second write under a tags/ directory fails, as if the process had died after the first. */
function cutAfterFirstTagWrite(storage: StorageDriver): StorageDriver {
  let tagWrites = 0;
  return new Proxy(storage, {
    get(target, key) {
      if (key === 'putContent') {
        return async (p: string, ...rest: unknown[]) => {
          if (p.includes('/_manifests/tags/') && ++tagWrites === 2) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
          return (target.putContent as (...a: unknown[]) => Promise<void>).call(target, p, ...rest);
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('V2: a tag write cut off between its two links', () => {
  let srv: TestServer;
  before(async () => {
    const config = testConfig('  bridge: false\n');
    srv = await startTestServer(config, { deps: { storage: cutAfterFirstTagWrite(createStorage(config)) } });
  });
  after(() => srv?.stop());

  it('leaves no tag that is listed but cannot be pulled', async () => {
    const api = v2Client(srv.url);
    const layer = await gzipLayer({ 'a.txt': 'a\n' });
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
    const manifest = {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: await api.pushBlob('cut/app', config) },
      layers: [
        { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.bytes.length, digest: await api.pushBlob('cut/app', layer.bytes) },
      ],
    };
    const put = await api.putManifest('cut/app', 'v1', manifest, DOCKER_MANIFEST);
    assert.equal(put.status, 500, 'the storage failed under the write');
    const listed = await api.call('GET', '/v2/cut/app/tags/list');
    const tags = listed.status === 200 ? (listed.json<{ tags: string[] | null }>().tags ?? []) : [];
    for (const tag of tags) {
      const got = await api.call('GET', `/v2/cut/app/manifests/${tag}`, { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(got.status, 200, `tag ${tag} is listed, so it pulls: ${got.body}`);
    }
  });
});
