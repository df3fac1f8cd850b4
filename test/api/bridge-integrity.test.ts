/**
 * What the bridge (lib/services/bridge) refuses to show, rather than show something false or
 * fail: configs too large to hold, V1 ids already taken by other content, layers still being
 * uploaded, tags on images that have no layer of their own. Each ends either in a true view or
 * in a tag recorded as not bridgeable with its reason, and never in a 500.
 */
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseDigest } from '../../lib/checksums/digest.js';
import * as paths from '../../lib/storage/paths.js';
import { gzipLayer, sha256hex, sha256of } from '../support/layers.js';
import { API_STORES, serverForSuite } from '../support/stores.js';
import { payload } from '../support/v1-client.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';
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

    it('a tag on an image whose layer is still being uploaded: V2 never serves a blob whose bytes are not its digest', async () => {
      const client = v1();
      const id = 'c1'.repeat(32);
      const json = v1Json(id, null);
      const first = await gzipLayer({ 'first.txt': 'the layer first sent\n' });
      const final = await gzipLayer({ 'final.txt': 'the layer that completed\n' });
      assert.equal((await client.call('PUT', '/v1/repositories/half/done/', { body: '[]', headers: { 'X-Docker-Token': 'true' } })).status, 200);
      assert.equal((await client.call('PUT', `/v1/images/${id}/json`, { body: json })).status, 200);
      assert.equal((await client.call('PUT', `/v1/images/${id}/layer`, { body: first.bytes })).status, 200);
      // docker-registry lets a tag name an image whose JSON is there; the checksum is not sent yet.
      assert.equal((await client.call('PUT', '/v1/repositories/half/done/tags/early', { body: `"${id}"` })).status, 200);
      await bridge().idle();
      assert.match((await bridge().records.get('half/done', 'early'))?.reason ?? '', /still being uploaded/);
      // The upload starts over (allowed until the checksum) with other bytes, and completes.
      assert.equal((await client.call('PUT', `/v1/images/${id}/json`, { body: json })).status, 200);
      assert.equal((await client.call('PUT', `/v1/images/${id}/layer`, { body: final.bytes })).status, 200);
      const checksum = await client.call('PUT', `/v1/images/${id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(json, final.bytes) } });
      assert.equal(checksum.status, 200);
      assert.equal((await client.call('PUT', '/v1/repositories/half/done/tags/final', { body: `"${id}"` })).status, 200);
      await bridge().idle();

      const manifest = await suite.api.call('GET', '/v2/half/done/manifests/final', { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(manifest.status, 200, manifest.body.toString());
      const layers = manifest.json<{ layers: Array<{ digest: string }> }>().layers.map((l) => l.digest);
      assert.deepEqual(layers, [final.digest], 'the V2 view is made of the layer that completed');
      for (const digest of [first.digest, final.digest]) {
        const blob = await suite.api.call('GET', `/v2/half/done/blobs/${digest}`);
        if (blob.status !== 404) assert.equal(sha256of(blob.body), digest, `GET ${digest} serves bytes of that digest`);
      }
    });

    it('a V2 upload of a blob that only a bridge alias stands for stores its own bytes', async () => {
      // A V1 image, and an alias (as an older Berth could leave one) naming it for a blob its layer is not.
      const other = await gzipLayer({ 'other.txt': 'some V1 layer\n' });
      const id = 'a1'.repeat(32);
      await v1().push('alias/v1', 'latest', [{ id, json: v1Json(id, null), layer: other.bytes }]);
      await bridge().idle();
      const data = Buffer.from('the bytes a V2 client uploads\n');
      const digest = sha256of(data);
      const parsed = parseDigest(digest);
      assert.ok(parsed);
      await suite.srv.deps.storage.putContent(paths.bridge.blobAlias(parsed), id);

      const started = await suite.api.call('POST', '/v2/alias/v2/blobs/uploads/');
      assert.equal(started.status, 202);
      const location = started.headers.get('location') ?? '';
      assert.equal((await suite.api.call('PATCH', location, { body: data, headers: { 'Content-Type': 'application/octet-stream' } })).status, 202);
      assert.equal((await suite.api.call('PUT', `${location}?digest=${digest}`)).status, 201);
      const blob = await suite.api.call('GET', `/v2/alias/v2/blobs/${digest}`);
      assert.equal(blob.status, 200);
      assert.ok(blob.body.equals(data), 'the blob is the bytes uploaded');
    });

    it('a V1 tag on an image the bridge made from a V2 push: 200, and V2 shows that tag with the V2 layers', async () => {
      const { layers, config } = await v2Image({ 'retag.txt': 'retag\n' });
      const pushed = await suite.api.pushImage(
        'retag/app',
        'v2',
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
      const { top } = await v1().pull('retag/app', 'v2');
      assert.equal((await v1().call('PUT', '/v1/repositories/retag/app/tags/again', { body: `"${top}"` })).status, 200);
      await bridge().idle();
      const record = await bridge().records.get('retag/app', 'again');
      assert.equal(record?.state, 'done', record?.reason);
      const shown = await suite.api.call('GET', '/v2/retag/app/manifests/again', { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(shown.status, 200, shown.body.toString());
      const digests = shown.json<{ layers: Array<{ digest: string }> }>().layers.map((l) => l.digest);
      assert.deepEqual(
        digests,
        pushed.manifest.layers.map((l) => l.digest),
        'the layers are the blobs pushed over V2',
      );
      for (const digest of digests) {
        const blob = await suite.api.call('GET', `/v2/retag/app/blobs/${digest}`);
        assert.equal(sha256of(blob.body), digest);
      }
    });

    it('a V1 tag on an image that has only its JSON: 200 as docker-registry answers, not shown over V2 (a 404, not a 500), nothing left pending', async () => {
      const client = v1();
      const id = 'd1'.repeat(32);
      assert.equal((await client.call('PUT', '/v1/repositories/json/only/', { body: '[]', headers: { 'X-Docker-Token': 'true' } })).status, 200);
      assert.equal((await client.call('PUT', `/v1/images/${id}/json`, { body: v1Json(id, null) })).status, 200);
      assert.equal((await client.call('PUT', '/v1/repositories/json/only/tags/latest', { body: `"${id}"` })).status, 200);
      const shown = await suite.api.call('GET', '/v2/json/only/manifests/latest', { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(shown.status, 404, shown.body.toString());
      assert.equal(shown.json<{ errors: Array<{ code: string }> }>().errors[0]?.code, 'MANIFEST_UNKNOWN');
      await bridge().idle();
      assert.equal((await bridge().records.get('json/only', 'latest'))?.state, 'not-bridgeable');
      assert.deepEqual(await bridge().records.pending('json/only'), []);
      assert.equal((await client.call('GET', '/v1/repositories/json/only/tags/latest')).status, 200);
    });

    it('a V1 image pushed under the id the bridge would give a V2 layer, with other bytes, is never served for the V2 image', async () => {
      const { layers, config } = await v2Image({ 'victim.txt': 'the real top\n' });
      // The V1 view's base id is the base layer's ChainID, i.e. its DiffID: known before the V2 push.
      const baseId = layers[0]?.diffId.slice('sha256:'.length) as string;
      const evil = await gzipLayer({ 'base.txt': 'not the base\n' });
      await v1().push('evil/v1', 'latest', [{ id: baseId, json: Buffer.from(`{"id":"${baseId}"}`), layer: evil.bytes }]);
      await suite.api.pushImage(
        'victim/app',
        'latest',
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
      await bridge().idle();
      const record = await bridge().records.get('victim/app', 'latest');
      assert.equal(record?.state, 'not-bridgeable');
      assert.match(record?.reason ?? '', new RegExp(`V1 image ${baseId} .*another layer`));
      assert.equal((await v1().call('GET', '/v1/repositories/victim/app/tags/latest')).status, 404);
      const stillEvil = await v1().call('GET', `/v1/images/${baseId}/layer`);
      assert.ok(stillEvil.body.equals(evil.bytes), 'the V1 image is left as it was pushed');
    });

    it('a V1 image that only took the id (its JSON, no layer yet) is not reused either', async () => {
      const { layers, config } = await v2Image({ 'squat.txt': 'squatted\n' });
      const baseId = layers[0]?.diffId.slice('sha256:'.length) as string;
      const client = v1();
      assert.equal((await client.call('PUT', '/v1/repositories/squat/v1/', { body: '[]', headers: { 'X-Docker-Token': 'true' } })).status, 200);
      assert.equal((await client.call('PUT', `/v1/images/${baseId}/json`, { body: `{"id":"${baseId}"}` })).status, 200);
      await suite.api.pushImage(
        'squat/app',
        'latest',
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
      await bridge().idle();
      const record = await bridge().records.get('squat/app', 'latest');
      assert.equal(record?.state, 'not-bridgeable');
      assert.match(record?.reason ?? '', /being uploaded/);
    });

    it('a V1 image of that id with the same layer content (other gzip bytes, as Docker ≥1.10 pushed to V1) is reused', async () => {
      const { layers, config } = await v2Image({ 'same.txt': 'same content\n' });
      const base = layers[0] as Awaited<ReturnType<typeof gzipLayer>>;
      const baseId = base.diffId.slice('sha256:'.length);
      const regzipped = gzipSync(base.tar, { level: 1, memLevel: 1 });
      assert.ok(!regzipped.equals(base.bytes));
      await v1().push('same/v1', 'latest', [{ id: baseId, json: Buffer.from(`{"id":"${baseId}"}`), layer: regzipped }]);
      await suite.api.pushImage(
        'same/app',
        'latest',
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
      const { chain } = await v1().pull('same/app', 'latest');
      assert.equal(chain[0]?.id, baseId);
      assert.ok(gunzipSync(chain[0]?.layer as Buffer).equals(base.tar), 'the base is the same tar');
      assert.ok(chain[1]?.layer.equals(layers[1]?.bytes as Buffer));
    });
  });
}
