import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BridgeMediaType } from '../../lib/bridge/media-types.js';
import { isNotBridgeable } from '../../lib/bridge/not-bridgeable.js';
import { imageManifestRefs, pickPlatform } from '../../lib/bridge/v2-manifest.js';
import { ancestryOf, type V2Image, type V2Layer, v1ImagesFromImage } from '../../lib/bridge/v2-to-v1.js';
import { INSTALL_DIR } from '../../lib/version.js';

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const notBridgeable = (reason: string) => (err: unknown) => isNotBridgeable(err) && err.reason === reason;

// The two-image worked example (test/fixtures/bridge/README.md) seen through Docker's push_v1
// (moby/moby v17.03.2-ce distribution/push_v1.go): Berth's own vector, the ids and JSON computed
// outside Berth, not an upstream one.
const CONFIG = readFileSync(path.join(INSTALL_DIR, 'test/fixtures/bridge/expected-config.json'));
const TOP_ID = 'a9321973f7fd36dcfbb382125bb6dff88be09674634e0593527ac0777bf347c6';
const DEP_ID = '42f7fc56821cd241c4965147b4604ce9632e9d1416767faf60b40fcb7462cd81';
// The worked example's ChainID of (hello, empty tar).
const CHAIN_2 = '66c8922f810a49a869341db7edc8d6c09e3ee2dbfeb677ac85bb1fe8c390af7a';
const EMPTY_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const GZ: string = BridgeMediaType.dockerLayerGzip;
const HELLO: V2Layer = { digest: 'sha256:376418ea7fe9755bf58b5eb8ef0a18104f57ab92073077da2535637e7624e8d1', size: 175, mediaType: GZ };
const EMPTY: V2Layer = { digest: 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4', size: 32, mediaType: GZ };
const X_DIFF_ID = `sha256:${'e'.repeat(64)}`;

const image = (config: Buffer | string, layers = [HELLO, EMPTY], extra: Partial<V2Image> = {}): V2Image => {
  const configBytes = Buffer.from(config);
  return { configBytes, configDigest: sha256(configBytes), configMediaType: BridgeMediaType.dockerConfig, layers, ...extra };
};
const config = (diffIds: string[], extra = '') =>
  `{"architecture":"amd64","os":"linux"${extra},"rootfs":{"type":"layers","diff_ids":${JSON.stringify(diffIds)}}}`;

describe('bridge: a V2 image as V1 images (Docker ≥1.10 push_v1)', () => {
  it('the worked example: dependency 42f7fc56… with JSON {"id"} only, top a9321973… with the config minus rootfs/history plus id and parent', () => {
    const views = v1ImagesFromImage(image(CONFIG));
    assert.deepEqual(
      views.map((v) => [v.id, v.layer.digest, v.transcode]),
      [
        [DEP_ID, HELLO.digest, false],
        [TOP_ID, EMPTY.digest, false],
      ],
    );
    assert.equal(views[0]?.json.toString(), `{"id":"${DEP_ID}"}`);
    assert.equal(
      views[1]?.json.toString(),
      `{"architecture":"amd64","config":{"Env":["PATH=/usr/bin:/bin"],"Cmd":["/hello"]},"container_config":{"Cmd":["/bin/sh","-c","#(nop) CMD [\\"/hello\\"]"]},` +
        `"created":"2015-07-09T00:00:01Z","docker_version":"1.6.2","id":"${TOP_ID}","os":"linux","parent":"${DEP_ID}"}`,
    );
    assert.deepEqual(ancestryOf(views), [TOP_ID, DEP_ID]);
  });

  it('a deeper dependency names its parent: ids are the ChainIDs 42f7fc56…, 66c8922f…', () => {
    const x = { digest: `sha256:${'f'.repeat(64)}`, size: 10, mediaType: BridgeMediaType.ociLayerTar };
    const views = v1ImagesFromImage(image(config([`sha256:${DEP_ID}`, EMPTY_DIFF_ID, X_DIFF_ID]), [HELLO, EMPTY, x]));
    assert.deepEqual(views.map((v) => v.json.toString()).slice(0, 2), [`{"id":"${DEP_ID}"}`, `{"id":"${CHAIN_2}","parent":"${DEP_ID}"}`]);
    assert.match(views[2]?.json.toString() ?? '', new RegExp(`"parent":"${CHAIN_2}"`));
  });

  it('a single-layer image: the top has no parent even when the config names one; image-only keys are dropped', () => {
    const cfg = config([X_DIFF_ID], ',"parent":"sha256:0000","os.version":"10.0","os.features":["win32k"],"history":[{"created_by":"x"}],"id":"old"');
    const [top, ...rest] = v1ImagesFromImage(image(cfg, [HELLO]));
    assert.equal(rest.length, 0);
    assert.equal(top?.json.toString(), `{"architecture":"amd64","id":"${sha256(cfg).slice(7)}","os":"linux"}`);
  });

  it('zstd layers are shown but marked for transcoding; OCI configs and layer types are accepted', () => {
    const zstd = { ...EMPTY, mediaType: BridgeMediaType.ociLayerZstd };
    const views = v1ImagesFromImage(image(CONFIG, [HELLO, zstd], { configMediaType: BridgeMediaType.ociConfig }));
    assert.deepEqual(
      views.map((v) => v.transcode),
      [false, true],
    );
  });

  it('what a V1 client cannot be shown is not bridgeable, with a reason', () => {
    const cases: Array<[string, V2Image]> = [
      // dist-spec conformance/setup.go: a config with empty diff_ids and one layer.
      ['layer-count', image(config([]), [HELLO])],
      ['layer-count', image(config([EMPTY_DIFF_ID]), [HELLO, EMPTY])],
      ['no-layers', image(config([]), [])],
      ['invalid-config', image('[1,2]')],
      ['invalid-config', image('{"rootfs":{"type":"layers","diff_ids":[')],
      ['invalid-config', image('{"rootfs":{"type":"snapshot","diff_ids":[]}}', [HELLO])],
      ['invalid-config', image('{"architecture":"amd64"}', [HELLO])],
      ['invalid-config', image('{"rootfs":{"type":"layers","diff_ids":["nope"]}}', [HELLO])],
      ['digest-algorithm', image(config([`sha512:${'a'.repeat(128)}`]), [HELLO])],
      ['layer-type', image(config([X_DIFF_ID]), [{ ...HELLO, mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip' }])],
      ['layer-type', image(config([X_DIFF_ID]), [{ ...HELLO, mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip' }])],
      ['layer-type', image(config([X_DIFF_ID]), [{ ...HELLO, mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }])],
      ['not-an-image', image(config([X_DIFF_ID]), [HELLO], { artifactType: 'application/vnd.example.sbom' })],
      ['not-an-image', image(config([X_DIFF_ID]), [HELLO], { configMediaType: 'application/vnd.cncf.helm.config.v1+json' })],
    ];
    for (const [reason, input] of cases) assert.throws(() => v1ImagesFromImage(input), notBridgeable(reason), `${reason}: ${input.configBytes}`);
    assert.throws(() => v1ImagesFromImage({ ...image(CONFIG), configDigest: sha256('other') }), /are not sha256:/);
  });
});

describe('bridge: choosing what a V2 tag shows to V1', () => {
  const entry = (digest: string, platform: object, mediaType = 'application/vnd.oci.image.manifest.v1+json') => ({ mediaType, digest, size: 100, platform });
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        entry(d('1'), { os: 'linux', architecture: 'arm64', variant: 'v8' }),
        entry(d('2'), { os: 'unknown', architecture: 'unknown' }),
        entry(d('3'), { os: 'linux', architecture: 'arm', variant: 'v6' }),
        entry(d('4'), { os: 'linux', architecture: 'arm', variant: 'v7' }),
        entry(d('5'), { os: 'linux', architecture: 'amd64' }),
      ],
    }),
  );

  it('picks linux/amd64 by default, another platform (with variant) when asked, null when absent', () => {
    assert.equal(pickPlatform(index)?.digest, d('5'));
    assert.equal(pickPlatform(index, { os: 'linux', architecture: 'arm', variant: 'v7' })?.digest, d('4'));
    assert.equal(pickPlatform(index, { os: 'linux', architecture: 'arm' })?.digest, d('3'));
    assert.equal(pickPlatform(index, { os: 'windows', architecture: 'amd64' }), null);
    assert.throws(() => pickPlatform(Buffer.from('{"schemaVersion":2,"config":{}}')), notBridgeable('invalid-manifest'));
  });

  it('reads config and layers from an image manifest; refuses indexes, artifacts and layers with urls', () => {
    const layers = [{ ...HELLO }, { ...EMPTY }];
    const manifest = (extra: object) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: { mediaType: BridgeMediaType.dockerConfig, size: 604, digest: `sha256:${TOP_ID}` },
          layers,
          ...extra,
        }),
      );
    assert.deepEqual(imageManifestRefs(manifest({})), {
      configDigest: `sha256:${TOP_ID}`,
      configSize: 604,
      configMediaType: BridgeMediaType.dockerConfig,
      artifactType: undefined,
      layers,
    });
    assert.equal(
      imageManifestRefs(manifest({ mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/x.sbom' })).artifactType,
      'application/x.sbom',
    );
    assert.throws(() => imageManifestRefs(index), notBridgeable('not-an-image'));
    assert.throws(() => imageManifestRefs(manifest({ layers: [{ ...HELLO, urls: ['https://example.com/l'] }] })), notBridgeable('layer-type'));
    assert.throws(() => imageManifestRefs(Buffer.from('not json')), notBridgeable('invalid-manifest'));
  });
});
