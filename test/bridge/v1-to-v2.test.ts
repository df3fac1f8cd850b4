import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chainIds } from '../../lib/bridge/chain-id.js';
import { inspectLayer } from '../../lib/bridge/layer-facts.js';
import { BridgeMediaType, layerMediaType } from '../../lib/bridge/media-types.js';
import { isNotBridgeable } from '../../lib/bridge/not-bridgeable.js';
import { blobRefOf, imageConfigFromV1Chain, ociManifest, schema2Manifest } from '../../lib/bridge/v1-to-v2.js';
import { INSTALL_DIR } from '../../lib/version.js';

const fixture = (name: string) => readFileSync(path.join(INSTALL_DIR, 'test/fixtures/bridge', name));
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

// The two-image worked example (test/fixtures/bridge/README.md), Berth's own vector computed
// outside Berth, not an upstream one: the chain, its layers, and what Docker ≥1.10 derives from
// them (moby/moby image/v1/imagev1.go MakeConfigFromV1Config, HistoryFromConfig).
const BASE_JSON = fixture('v1-base.json');
const TOP_JSON = fixture('v1-top.json');
const EXPECTED_CONFIG = fixture('expected-config.json');
const HELLO = { digest: 'sha256:376418ea7fe9755bf58b5eb8ef0a18104f57ab92073077da2535637e7624e8d1', size: 175 };
const HELLO_DIFF_ID = 'sha256:42f7fc56821cd241c4965147b4604ce9632e9d1416767faf60b40fcb7462cd81';
const EMPTY = { digest: 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4', size: 32 };
const EMPTY_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const IMAGE_ID = 'sha256:a9321973f7fd36dcfbb382125bb6dff88be09674634e0593527ac0777bf347c6';
const MANIFEST_DIGEST = 'sha256:e573b64bdcd36f6aed0edd0d244c1fea1caaf20c397b82b7d04a92e9e9a8a2a5';
const GZIP_LAYER = BridgeMediaType.dockerLayerGzip;

const CHAIN = [
  { json: BASE_JSON, diffId: HELLO_DIFF_ID },
  { json: TOP_JSON, diffId: EMPTY_DIFF_ID },
];
const notBridgeable = (reason: string) => (err: unknown) => isNotBridgeable(err) && err.reason === reason;
const oneImage = (json: string, diffId = EMPTY_DIFF_ID) => imageConfigFromV1Chain([{ json: Buffer.from(json), diffId }]);
const ID_C = 'c'.repeat(64);

describe('bridge: a V1 chain as a V2 image (config, schema2/OCI manifest)', () => {
  it('the worked example: the config is the 604 bytes Docker derives, image ID a9321973…', () => {
    const config = imageConfigFromV1Chain(CHAIN);
    assert.equal(config.toString(), EXPECTED_CONFIG.toString());
    assert.equal(config.length, 604);
    assert.equal(sha256(config), IMAGE_ID);
  });

  it('the worked example: the schema2 manifest is 729 bytes with digest e573b64b…', () => {
    const manifest = schema2Manifest({
      config: { digest: IMAGE_ID, size: 604 },
      layers: [
        { ...HELLO, mediaType: GZIP_LAYER },
        { ...EMPTY, mediaType: GZIP_LAYER },
      ],
    });
    assert.equal(manifest.length, 729);
    assert.equal(sha256(manifest), MANIFEST_DIGEST);
    // distribution's layout: three-space indentation, descriptor keys mediaType, size, digest.
    assert.match(
      manifest.toString(),
      /^\{\n {3}"schemaVersion": 2,\n {3}"mediaType": "application\/vnd\.docker\.distribution\.manifest\.v2\+json",\n {3}"config": \{\n {6}"mediaType": "application\/vnd\.docker\.container\.image\.v1\+json",\n {6}"size": 604,\n {6}"digest": "sha256:a932/,
    );
    assert.ok(manifest.toString().endsWith('\n   ]\n}'));
  });

  it('the worked example: the ChainIDs are 42f7fc56… (the base DiffID) and 66c8922f…', () => {
    assert.deepEqual(chainIds([HELLO_DIFF_ID, EMPTY_DIFF_ID]), [HELLO_DIFF_ID, 'sha256:66c8922f810a49a869341db7edc8d6c09e3ee2dbfeb677ac85bb1fe8c390af7a']);
    assert.deepEqual(chainIds([]), []);
  });

  it('the worked example from the blobs themselves: layer facts, media types, config and manifest give the same digests', async () => {
    const layers = [];
    for (const blob of [fixture('hello-layer.tar.gz'), fixture('distribution-empty-layer.tar.gz')]) {
      const inspector = inspectLayer();
      await pipeline(Readable.from([blob]), inspector, new Writable({ write: (_c, _e, cb) => cb() }));
      layers.push(inspector.facts);
    }
    const config = imageConfigFromV1Chain([
      { json: BASE_JSON, diffId: layers[0]?.diffId ?? '' },
      { json: TOP_JSON, diffId: layers[1]?.diffId ?? '' },
    ]);
    const manifest = schema2Manifest({
      config: blobRefOf(config),
      layers: layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: layerMediaType(l.compression, 'docker') ?? '' })),
    });
    assert.equal(sha256(manifest), MANIFEST_DIGEST);
  });

  it('the OCI manifest has the same shape with OCI media types, mediaType included', () => {
    const manifest = ociManifest({
      config: { digest: IMAGE_ID, size: 604 },
      layers: [{ ...HELLO, mediaType: layerMediaType('gzip', 'oci') ?? '' }],
    });
    assert.equal(
      manifest.toString(),
      `{
   "schemaVersion": 2,
   "mediaType": "application/vnd.oci.image.manifest.v1+json",
   "config": {
      "mediaType": "application/vnd.oci.image.config.v1+json",
      "size": 604,
      "digest": "${IMAGE_ID}"
   },
   "layers": [
      {
         "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
         "size": 175,
         "digest": "${HELLO.digest}"
      }
   ]
}`,
    );
    assert.throws(() => ociManifest({ config: { digest: 'sha256:nothex', size: 1 }, layers: [] }), TypeError);
    assert.throws(() => ociManifest({ config: { digest: IMAGE_ID, size: -1 }, layers: [] }), TypeError);
  });

  it('layer media types follow the bytes: gzip and tar as they are, bzip2 and xz need a gzip copy first', () => {
    assert.equal(layerMediaType('gzip', 'docker'), 'application/vnd.docker.image.rootfs.diff.tar.gzip');
    assert.equal(layerMediaType('none', 'docker'), 'application/vnd.docker.image.rootfs.diff.tar');
    assert.equal(layerMediaType('none', 'oci'), 'application/vnd.oci.image.layer.v1.tar');
    assert.equal(layerMediaType('zstd', 'oci'), 'application/vnd.oci.image.layer.v1.tar+zstd');
    for (const c of ['bzip2', 'xz'] as const) {
      assert.equal(layerMediaType(c, 'docker'), null);
      assert.equal(layerMediaType(c, 'oci'), null);
    }
    assert.equal(layerMediaType('zstd', 'docker'), null);
  });

  it('drops the V1-only keys, keeps nested values as written, escapes as Go, defaults architecture/os, sorts keys by byte', () => {
    const config = oneImage(
      `{"id":"${ID_C}","created":"2014-01-01T00:00:00.000000001+01:00","author":"A <a@b>","comment":"c&d","container_config":{"Cmd":null},` +
        `"config":{"B":1.0,"A":[ 1 ]},"Size":5,"parent_id":"sha256:x","layer_id":"sha256:y","throwaway":true,"zeta":"\u2028","os":""}`,
    );
    assert.equal(
      config.toString(),
      String.raw`{"architecture":"amd64","author":"A \u003ca@b\u003e","comment":"c\u0026d","config":{"B":1.0,"A":[1]},"container_config":{"Cmd":null},` +
        String.raw`"created":"2014-01-01T00:00:00.000000001+01:00","history":[{"created":"2014-01-01T00:00:00.000000001+01:00","author":"A \u003ca@b\u003e",` +
        String.raw`"comment":"c\u0026d"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["${EMPTY_DIFF_ID}"]},"zeta":"\u2028"}`,
    );
  });

  it('history: created_by is Cmd joined by spaces (a lone string too), Go-escaped; no created gives Go’s zero time; arch kept', () => {
    const cfg = (json: string) => JSON.parse(oneImage(json).toString()) as { history: unknown[]; architecture: string };
    assert.deepEqual(cfg(`{"id":"${ID_C}","container_config":{"Cmd":["/bin/sh","-c","echo <&>"]},"architecture":"arm"}`), {
      architecture: 'arm',
      container_config: { Cmd: ['/bin/sh', '-c', 'echo <&>'] },
      history: [{ created: '0001-01-01T00:00:00Z', created_by: '/bin/sh -c echo <&>' }],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [EMPTY_DIFF_ID] },
    });
    assert.match(oneImage(`{"id":"${ID_C}","container_config":{"Cmd":["echo <&>"]}}`).toString(), /"created_by":"echo \\u003c\\u0026\\u003e"/);
    assert.deepEqual(cfg(`{"id":"${ID_C}","created":"2015-01-01T00:00:00Z","container_config":{"cmd":"ls -l"}}`).history, [
      { created: '2015-01-01T00:00:00Z', created_by: 'ls -l' },
    ]);
    assert.deepEqual(cfg(`{"id":"${ID_C}","created":null,"container_config":{"Cmd":[]}}`).history, [{ created: '0001-01-01T00:00:00Z' }]);
  });

  it('a chain whose parents do not link up, or whose ids are not 64-hex, is not bridgeable (Docker ≥1.10 would refuse it)', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const link = (json: object) => ({ json: Buffer.from(JSON.stringify(json)), diffId: EMPTY_DIFF_ID });
    assert.throws(() => imageConfigFromV1Chain([link({ id: a, parent: b })]), notBridgeable('broken-chain'));
    assert.throws(() => imageConfigFromV1Chain([link({ id: a }), link({ id: b, parent: ID_C })]), notBridgeable('broken-chain'));
    assert.throws(() => imageConfigFromV1Chain([link({ id: a }), link({ id: b })]), notBridgeable('broken-chain'));
    assert.throws(() => imageConfigFromV1Chain([link({ id: a }), link({ id: a, parent: a })]), notBridgeable('broken-chain'));
    assert.throws(() => imageConfigFromV1Chain([]), notBridgeable('broken-chain'));
    assert.throws(() => imageConfigFromV1Chain([link({ id: a.toUpperCase() })]), notBridgeable('invalid-v1-json'));
    assert.throws(() => imageConfigFromV1Chain([link({ id: 'abc' })]), notBridgeable('invalid-v1-json'));
    // An empty parent is no parent, as Go's omitempty string reads it.
    imageConfigFromV1Chain([link({ id: a, parent: '' })]);
  });

  it('JSON that Docker could not read into its V1Image struct is not bridgeable', () => {
    for (const json of [
      '[]',
      '{"id":',
      `{"id":"${ID_C}","created":"yesterday"}`,
      `{"id":"${ID_C}","created":1436400000}`,
      `{"id":"${ID_C}","author":7}`,
      `{"id":"${ID_C}","container_config":"x"}`,
      `{"id":"${ID_C}","container_config":{"Cmd":[1]}}`,
      `{"id":"${ID_C}","container_config":{"Cmd":{}}}`,
      `{"id":"${ID_C}","architecture":["amd64"]}`,
    ]) {
      assert.throws(() => oneImage(json), notBridgeable('invalid-v1-json'), json);
    }
    assert.throws(() => oneImage(`{"id":"${ID_C}"}`, 'sha256:short'), TypeError);
  });
});
