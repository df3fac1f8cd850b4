/**
 * One image, both protocols (the bridge, lib/services/bridge): a chain pushed over V1 is a
 * schema2 image over V2 (OCI and schema1 forms beside it), an image pushed over V2 is a V1
 * chain, deletes and re-tags cross over, the last writer wins on both sides, and images with
 * no form in the other protocol are simply not shown there. On local storage and on S3.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';
import { loadYaml, tempDir } from '../support/config.js';
import { gzipLayer, sha256of } from '../support/layers.js';
import { startTestServer } from '../support/server.js';
import { API_STORES, serverForSuite } from '../support/stores.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, OCI_MANIFEST, v2Client } from '../support/v2-client.js';

const A = `${'a'.repeat(63)}1`;
const B = `${'b'.repeat(63)}2`;

const SCHEMA1_SIGNED = 'application/vnd.docker.distribution.manifest.v1+prettyjws';

/** A GET with exactly these headers (fetch always adds an Accept of its own; Docker 1.6–1.9 send none). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

async function v1Chain() {
  const base = await gzipLayer({ 'hello/': '', 'hello/world.txt': 'Hello from V1\n' });
  const top = await gzipLayer({ 'hello/top.txt': 'the top layer\n' });
  return {
    base,
    top,
    images: [
      { id: A, json: v1Json(A, null), layer: base.bytes },
      { id: B, json: v1Json(B, A, { config: { Cmd: ['/hello'], Env: ['PATH=/bin'] } }), layer: top.bytes },
    ],
  };
}

async function v2Image(files: Record<string, string>, extra: Record<string, unknown> = {}) {
  const layers = [await gzipLayer({ 'base.txt': 'base\n' }), await gzipLayer(files)];
  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/app'] },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: [{ created: '2024-01-01T00:00:00Z' }, { created: '2024-01-01T00:00:01Z' }],
    ...extra,
  };
  return { layers, config };
}

for (const [label, makeConfig] of API_STORES.slice(0, 2)) {
  describe(`the bridge on ${label}`, function () {
    this.timeout(120_000);
    const suite = serverForSuite(makeConfig);
    const v1 = () => v1Engine(suite.srv.url);
    const modern = { 'User-Agent': 'containerd/v2.1.1' };

    it('a V1 push is a schema2 image over V2: config built from the chain, layers the V1 layers, diff_ids of the tars', async () => {
      const { base, top, images } = await v1Chain();
      await v1().push('v1push/app', 'latest', images);
      const res = await suite.api.call('GET', '/v2/v1push/app/manifests/latest', { headers: { Accept: DOCKER_MANIFEST, ...modern } });
      assert.equal(res.status, 200, res.body.toString());
      assert.equal(res.headers.get('content-type'), DOCKER_MANIFEST);
      assert.equal(res.headers.get('docker-content-digest'), sha256of(res.body));
      const manifest = res.json<{ config: { digest: string }; layers: Array<{ digest: string; mediaType: string; size: number }> }>();
      assert.deepEqual(
        manifest.layers.map((l) => [l.digest, l.size, l.mediaType]),
        [base, top].map((l) => [l.digest, l.bytes.length, 'application/vnd.docker.image.rootfs.diff.tar.gzip']),
      );
      const config = JSON.parse((await suite.api.call('GET', `/v2/v1push/app/blobs/${manifest.config.digest}`, { headers: modern })).body.toString());
      assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [base.diffId, top.diffId] });
      assert.deepEqual(config.config, { Cmd: ['/hello'], Env: ['PATH=/bin'] });
      assert.equal(config.history.length, 2);
      assert.equal(config.history[0].created, '2015-07-09T00:00:00.123456789Z', 'nanoseconds kept');
      assert.equal(config.id, undefined);
      for (const [layer, pushed] of [
        [manifest.layers[0], base],
        [manifest.layers[1], top],
      ] as const) {
        const blob = await suite.api.call('GET', `/v2/v1push/app/blobs/${layer?.digest}`, { headers: modern });
        assert.ok(blob.body.equals(pushed.bytes), 'the V2 blob is the V1 layer, byte for byte');
        assert.ok(gunzipSync(blob.body).equals(pushed.tar));
      }
      const head = await suite.api.call('HEAD', '/v2/v1push/app/manifests/latest', { headers: { Accept: DOCKER_MANIFEST, ...modern } });
      assert.equal(head.headers.get('docker-content-digest'), sha256of(res.body));
      const byDigest = await suite.api.call('GET', `/v2/v1push/app/manifests/${sha256of(res.body)}`, { headers: { Accept: DOCKER_MANIFEST, ...modern } });
      assert.ok(byDigest.body.equals(res.body));
      assert.deepEqual((await suite.api.call('GET', '/v2/v1push/app/tags/list', { headers: modern })).json(), { name: 'v1push/app', tags: ['latest'] });
      assert.ok((await suite.api.call('GET', '/v2/_catalog', { headers: modern })).json<{ repositories: string[] }>().repositories.includes('v1push/app'));
    });

    it('the OCI form to a client that lists only OCI, and the signed schema1 form to one that lists nothing (Docker 1.6–1.9)', async () => {
      const { images } = await v1Chain();
      await v1().push('forms/app', 'v1', images);
      const oci = await suite.api.call('GET', '/v2/forms/app/manifests/v1', { headers: { Accept: OCI_MANIFEST, ...modern } });
      assert.equal(oci.headers.get('content-type'), OCI_MANIFEST);
      const ociDoc = oci.json<{ layers: Array<{ mediaType: string }>; config: { mediaType: string } }>();
      assert.deepEqual(
        ociDoc.layers.map((l) => l.mediaType),
        ['application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+gzip'],
      );
      assert.equal(ociDoc.config.mediaType, 'application/vnd.oci.image.config.v1+json');
      const s1 = await rawGet(`${suite.srv.url}/v2/forms/app/manifests/v1`, { 'User-Agent': 'docker/1.6.2 go/go1.4.2 git-commit/7c8fca2 os/linux arch/amd64' });
      assert.equal(s1.status, 200);
      assert.equal(s1.headers['content-type'], SCHEMA1_SIGNED);
      const doc = JSON.parse(s1.body.toString()) as {
        name: string;
        tag: string;
        fsLayers: Array<{ blobSum: string }>;
        history: Array<{ v1Compatibility: string }>;
      };
      assert.equal(doc.name, 'forms/app');
      assert.deepEqual(
        doc.history.map((h) => JSON.parse(h.v1Compatibility).id),
        [B, A],
      );
      assert.ok(doc.history[0]?.v1Compatibility === images[1]?.json.toString(), 'v1Compatibility is the V1 JSON as pushed');
      // The digest is that of the payload, and a GET by it gives the same manifest.
      const digest = String(s1.headers['docker-content-digest']);
      const again = await rawGet(`${suite.srv.url}/v2/forms/app/manifests/${digest}`, { 'User-Agent': 'docker/1.6.2' });
      assert.equal(again.status, 200);
      assert.equal(again.headers['docker-content-digest'], digest);
    });

    it('the same chain gives the same digests on every server and after a restart', async () => {
      const { images } = await v1Chain();
      await v1().push('stable/one', 'latest', images);
      await v1().push('stable/two', 'latest', images);
      const digestOf = async (base: string, repo: string) =>
        (await v2Client(base).call('HEAD', `/v2/${repo}/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST, ...modern } })).headers.get(
          'docker-content-digest',
        );
      const first = await digestOf(suite.srv.url, 'stable/one');
      assert.ok(first);
      assert.equal(await digestOf(suite.srv.url, 'stable/two'), first, 'one chain, one manifest, whatever the repository');
      const other = await startTestServer(suite.srv.deps.config);
      try {
        assert.equal(await digestOf(other.url, 'stable/one'), first);
      } finally {
        await other.stop();
      }
    });

    it('a V1 repository `library/x` is V2 `x` and `library/x`; a V2 `x` is V1 `x`', async () => {
      const { images } = await v1Chain();
      await v1().push('onepart', 'latest', images);
      for (const name of ['onepart', 'library/onepart']) {
        const res = await suite.api.call('GET', `/v2/${name}/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST, ...modern } });
        assert.equal(res.status, 200, name);
      }
      const { layers, config } = await v2Image({ 'x.txt': 'x\n' });
      await suite.api.pushImage('v2onepart', 'latest', [layers[0]?.bytes as Buffer, layers[1]?.bytes as Buffer], { mediaType: DOCKER_MANIFEST, config });
      const pulled = await v1().pull('v2onepart', 'latest');
      assert.equal(pulled.chain.length, 2);
    });

    it('a V2 push is a V1 chain: ids as Docker ≥1.10 pushed them, JSON with the runtime config, layers the V2 blobs, sizes and checksums of the bytes served', async () => {
      const { layers, config } = await v2Image({ 'app.txt': 'app\n' });
      const pushed = await suite.api.pushImage('v2push/app', 'v1.0', [layers[0]?.bytes as Buffer, layers[1]?.bytes as Buffer], {
        mediaType: DOCKER_MANIFEST,
        config,
      });
      const { top, ids, chain } = await v1().pull('v2push/app', 'v1.0');
      const configDigest = (pushed.manifest.config as { digest: string }).digest;
      assert.equal(top, configDigest.slice('sha256:'.length), 'the top id is the image id (the config digest)');
      assert.equal(chain[0]?.id, layers[0]?.diffId.slice('sha256:'.length), 'the base id is its ChainID, which is its DiffID');
      assert.deepEqual(ids.map((i) => i.id).sort(), chain.map((c) => c.id).sort());
      assert.deepEqual(JSON.parse(chain[0]?.json.toString() ?? ''), { id: chain[0]?.id });
      const topJson = JSON.parse(chain[1]?.json.toString() ?? '');
      assert.deepEqual([topJson.id, topJson.parent, topJson.config], [top, chain[0]?.id, { Cmd: ['/app'] }]);
      assert.equal(topJson.rootfs, undefined);
      for (const [k, image] of chain.entries()) {
        assert.ok(image.layer.equals(layers[k]?.bytes as Buffer), 'the V1 layer is the V2 blob');
        assert.equal(image.size, String(image.layer.length));
        assert.equal(
          image.checksum,
          `sha256:${(await import('node:crypto')).createHash('sha256').update(image.json).update('\n').update(image.layer).digest('hex')}`,
        );
      }
    });

    it('a manifest list is the linux/amd64 image over V1', async () => {
      const amd = await v2Image({ 'amd.txt': 'amd64\n' });
      const arm = await v2Image({ 'arm.txt': 'arm64\n' }, { architecture: 'arm64' });
      const a = await suite.api.pushImage(
        'multi/app',
        'amd',
        amd.layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config: amd.config },
      );
      const r = await suite.api.pushImage(
        'multi/app',
        'arm',
        arm.layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config: arm.config },
      );
      const list = {
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        manifests: [
          { mediaType: DOCKER_MANIFEST, size: r.bytes.length, digest: r.digest, platform: { os: 'linux', architecture: 'arm64' } },
          { mediaType: DOCKER_MANIFEST, size: a.bytes.length, digest: a.digest, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      };
      const put = await suite.api.putManifest('multi/app', 'latest', list, 'application/vnd.docker.distribution.manifest.list.v2+json');
      assert.equal(put.status, 201);
      const { top } = await v1().pull('multi/app', 'latest');
      assert.equal(top, (a.manifest.config as { digest: string }).digest.slice('sha256:'.length));
    });

    it('a sparse index (v2_sparse_indexes; its linux/amd64 entry not in the repository) is pushed, not shown over V1, and leaves the V1 repository readable', async () => {
      // Sparse indexes are refused unless the operator allows them: a server of the suite's store that does.
      const srv = await startTestServer({ ...suite.srv.deps.config, v2_sparse_indexes: true });
      try {
        const api = v2Client(srv.url);
        const { layers, config } = await v2Image({ 'ok.txt': 'ok\n' });
        await api.pushImage(
          'sparse/app',
          'ok',
          layers.map((l) => l.bytes),
          { mediaType: DOCKER_MANIFEST, config },
        );
        const index = {
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [{ mediaType: OCI_MANIFEST, size: 10, digest: sha256of('never pushed'), platform: { os: 'linux', architecture: 'amd64' } }],
        };
        assert.equal((await api.putManifest('sparse/app', 'latest', index, 'application/vnd.oci.image.index.v1+json')).status, 201);
        await srv.services.bridge?.idle();
        const record = await srv.services.bridge?.records.get('sparse/app', 'latest');
        assert.equal(record?.state, 'not-bridgeable');
        assert.match(record?.reason ?? '', /linux\/amd64/);
        const tags = await v1Engine(srv.url).call('GET', '/v1/repositories/sparse/app/tags');
        assert.equal(tags.status, 200, tags.body.toString());
        assert.deepEqual(Object.keys(JSON.parse(tags.body.toString())), ['ok']);
      } finally {
        await srv.stop();
      }
    });

    it('deletes and re-tags cross over both ways', async () => {
      const { images } = await v1Chain();
      const client = v1();
      await client.push('cross/app', 'a', images);
      assert.equal((await suite.api.call('GET', '/v2/cross/app/manifests/a', { headers: { Accept: DOCKER_MANIFEST, ...modern } })).status, 200);
      assert.equal((await client.call('DELETE', '/v1/repositories/cross/app/tags/a')).status, 200);
      assert.equal((await suite.api.call('GET', '/v2/cross/app/manifests/a', { headers: { Accept: DOCKER_MANIFEST, ...modern } })).status, 404);

      const { layers, config } = await v2Image({ 'y.txt': 'y\n' });
      await suite.api.pushImage(
        'cross/app',
        'b',
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
      assert.ok((await client.pull('cross/app', 'b')).top);
      assert.equal((await suite.api.call('DELETE', '/v2/cross/app/manifests/b', { headers: modern })).status, 202);
      const tags = JSON.parse((await client.call('GET', '/v1/repositories/cross/app/tags')).body.toString());
      assert.equal(tags.b, undefined, 'the V2 delete took the V1 tag');

      // Re-tag over V1 what V2 pushed: V2 now shows the V1 chain.
      await suite.api.pushImage(
        'cross/app',
        'c',
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
      await client.push('cross/app', 'c', images);
      const shown = await suite.api.call('GET', '/v2/cross/app/manifests/c', { headers: { Accept: DOCKER_MANIFEST, ...modern } });
      const cfg = JSON.parse(
        (await suite.api.call('GET', `/v2/cross/app/blobs/${shown.json<{ config: { digest: string } }>().config.digest}`, { headers: modern })).body.toString(),
      );
      assert.deepEqual(cfg.config, { Cmd: ['/hello'], Env: ['PATH=/bin'] }, 'the V1 re-push replaced the V2 view');
    });

    it('pushes of one tag from both sides at once end with both sides showing the same image', async () => {
      const { images } = await v1Chain();
      const { layers, config } = await v2Image({ 'race.txt': 'race\n' });
      for (const blob of layers) await suite.api.pushBlob('race/app', blob.bytes);
      const client = v1();
      await Promise.all([
        client.push('race/app', 'latest', images),
        suite.api.pushImage(
          'race/app',
          'latest',
          layers.map((l) => l.bytes),
          { mediaType: DOCKER_MANIFEST, config },
        ),
      ]);
      const v1top = JSON.parse((await client.call('GET', '/v1/repositories/race/app/tags')).body.toString()).latest as string;
      const shown = await suite.api.call('GET', '/v2/race/app/manifests/latest', { headers: { Accept: DOCKER_MANIFEST, ...modern } });
      const cfgDigest = shown.json<{ config: { digest: string } }>().config.digest;
      // Either the V1 chain won (V2 shows its config, made from B) or the V2 image did (V1 shows its config's id).
      const v1won = v1top === B;
      if (v1won) assert.notEqual(cfgDigest, sha256of(JSON.stringify(config)));
      else assert.equal(v1top, cfgDigest.slice('sha256:'.length));
    });

    it('what has no V1 form (an artifact, a config whose diff_ids do not match) is pushed as ever and not shown over V1', async () => {
      const { layers } = await v2Image({ 'z.txt': 'z\n' });
      const mismatched = await suite.api.pushImage('nov1/app', 'conformance', [layers[0]?.bytes as Buffer], {
        config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
      });
      assert.equal(mismatched.res.status, 201);
      const artifact = await suite.api.pushImage('nov1/app', 'sbom', [Buffer.from('{"sbom":true}')], {
        extra: { artifactType: 'application/vnd.example.sbom' },
      });
      assert.equal(artifact.res.status, 201);
      await sleep(50);
      const tags = await v1().call('GET', '/v1/repositories/nov1/app/tags');
      // The repository may exist (the V1 tags were hidden when the V2 tags were written) but shows no tag.
      if (tags.status === 200) assert.deepEqual(JSON.parse(tags.body.toString()), {});
      else assert.equal(tags.status, 404);
      const record = await suite.srv.services.bridge?.records.get('nov1/app', 'conformance');
      assert.equal(record?.state, 'not-bridgeable');
      assert.match(record?.reason ?? '', /diff_ids/);
    });
  });
}

describe('the bridge switched off (bridge: false)', () => {
  it('V1 and V2 keep their own images', async () => {
    const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: error\n  bridge: false\n`, 't').config);
    try {
      const { images } = await v1Chain();
      await v1Engine(srv.url).push('off/app', 'latest', images);
      const res = await v2Client(srv.url).call('GET', '/v2/off/app/manifests/latest', { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(res.status, 404);
      assert.equal(srv.services.bridge, null);
    } finally {
      await srv.stop();
    }
  });
});
