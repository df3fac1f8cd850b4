import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GZIPPED_EMPTY_TAR, GZIPPED_EMPTY_TAR_DIGEST, schema1ChainFromConfig } from '../../lib/bridge/config-to-schema1.js';
import { goTimeText } from '../../lib/bridge/go-time.js';
import { isNotBridgeable } from '../../lib/bridge/not-bridgeable.js';
import { schema1FromV1Chain } from '../../lib/bridge/v1-to-schema1.js';
import { INSTALL_DIR } from '../../lib/version.js';

const fixture = (name: string) => readFileSync(path.join(INSTALL_DIR, 'test/fixtures/bridge', name));
const notBridgeable = (reason: string) => (err: unknown) => isNotBridgeable(err) && err.reason === reason;
const digest = (c: string) => `sha256:${c}`;

// distribution/distribution manifest/schema1/config_builder_test.go TestConfigBuilder: the
// config, the three layer descriptors, the fsLayers and v1Compatibility strings it expects
// (test/fixtures/bridge/distribution-config-builder/README.md).
const UPSTREAM_CONFIG = fixture('distribution-config-builder/config.json');
const UPSTREAM_V1 = JSON.parse(fixture('distribution-config-builder/expected-v1compatibility.json').toString()) as string[];
const UPSTREAM_LAYERS = [
  digest('a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4'),
  digest('86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa'),
  digest('b4ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4'),
];
const UPSTREAM_FS_LAYERS = [UPSTREAM_LAYERS[0], UPSTREAM_LAYERS[2], UPSTREAM_LAYERS[0], UPSTREAM_LAYERS[0], UPSTREAM_LAYERS[1], UPSTREAM_LAYERS[0]];

describe("bridge: a V2 image as a schema1 chain (distribution's config builder)", () => {
  it("reproduces distribution's TestConfigBuilder: six v1Compatibility strings (ids 69e5c1bf… … 3690474e…) and fsLayers", () => {
    const { chain, usesEmptyLayer } = schema1ChainFromConfig({ configBytes: UPSTREAM_CONFIG, layers: UPSTREAM_LAYERS.map((d) => ({ digest: d })) });
    assert.deepEqual(
      chain.map((l) => l.json.toString()),
      UPSTREAM_V1,
    );
    assert.deepEqual(
      chain.map((l) => l.blobDigest),
      UPSTREAM_FS_LAYERS,
    );
    assert.equal(usesEmptyLayer, true);
    // The chain passes the checks Docker ≥1.10 applies, so it makes a schema1 payload.
    const p = JSON.parse(schema1FromV1Chain({ name: 'testrepo', tag: 'testtag', chain }).toString());
    assert.deepEqual([p.name, p.tag, p.architecture, p.history.length], ['testrepo', 'testtag', 'amd64', 6]);
  });

  // The two-image worked example (test/fixtures/bridge/README.md): Berth's own vector, its ids
  // computed outside Berth, not an upstream one.
  it('the worked example through the builder: top id 512f92f6…, base id f905323b…, and the base Cmd is one string', () => {
    const hello = digest('376418ea7fe9755bf58b5eb8ef0a18104f57ab92073077da2535637e7624e8d1');
    const { chain, usesEmptyLayer } = schema1ChainFromConfig({
      configBytes: fixture('expected-config.json'),
      layers: [{ digest: hello }, { digest: GZIPPED_EMPTY_TAR_DIGEST }],
    });
    const ids = chain.map((l) => JSON.parse(l.json.toString()).id);
    assert.deepEqual(ids, [
      '512f92f615f8c430a9e0f8dcaab248fd39d67db53f7c1ce61c11eaea449f5e0f',
      'f905323b8ba571d3185de103a905ec88bd2bfef2548e8b26fad3dc4ebc911c5d',
    ]);
    assert.deepEqual(JSON.parse(chain[1]?.json.toString() ?? '').container_config, { Cmd: ['/bin/sh -c #(nop) ADD dir:hello in /'] });
    assert.equal(usesEmptyLayer, false);
  });

  it("the empty layer constant is distribution's 32 bytes, a3ed95ca…", () => {
    assert.equal(GZIPPED_EMPTY_TAR.length, 32);
    assert.equal(`sha256:${createHash('sha256').update(GZIPPED_EMPTY_TAR).digest('hex')}`, GZIPPED_EMPTY_TAR_DIGEST);
  });

  it('a single-entry image drops the config’s own parent; created times are written as Go writes them', () => {
    const config = Buffer.from(
      '{"parent":"sha256:0000","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]},' +
        '"history":[{"created":"2020-01-02T03:04:05.120000000+00:00","created_by":"x"}]}',
    );
    const { chain } = schema1ChainFromConfig({ configBytes: config, layers: [{ digest: GZIPPED_EMPTY_TAR_DIGEST }] });
    assert.equal(chain.length, 1);
    assert.equal(JSON.parse(chain[0]?.json.toString() ?? '').parent, undefined);
    assert.equal(goTimeText('2020-01-02T03:04:05.120000000+00:00'), '2020-01-02T03:04:05.12Z');
    assert.equal(goTimeText('2020-01-02T03:04:05.0000000001-07:00'), '2020-01-02T03:04:05-07:00');
    assert.equal(goTimeText('2020-01-02 03:04:05Z'), null);
  });

  it('refuses configs whose history does not line up with the layers, or that it cannot read', () => {
    const diffIds = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => `sha256:${String(i).repeat(64)}`));
    const cfg = (n: number, history: string) => Buffer.from(`{"rootfs":{"type":"layers","diff_ids":${diffIds(n)}},"history":${history}}`);
    const one = [{ digest: GZIPPED_EMPTY_TAR_DIGEST }];
    assert.throws(() => schema1ChainFromConfig({ configBytes: cfg(1, '[{},{}]'), layers: one }), notBridgeable('layer-count'));
    assert.throws(() => schema1ChainFromConfig({ configBytes: cfg(1, '[{"empty_layer":true}]'), layers: one }), notBridgeable('layer-count'));
    assert.throws(() => schema1ChainFromConfig({ configBytes: cfg(0, '[{}]'), layers: one }), notBridgeable('layer-count'));
    assert.throws(() => schema1ChainFromConfig({ configBytes: cfg(1, '[]'), layers: one }), notBridgeable('invalid-config'));
    assert.throws(() => schema1ChainFromConfig({ configBytes: cfg(1, '[{"created":"soon"}]'), layers: one }), notBridgeable('invalid-config'));
    assert.throws(() => schema1ChainFromConfig({ configBytes: cfg(1, '[{"empty_layer":"yes"}]'), layers: one }), notBridgeable('invalid-config'));
    assert.throws(
      () => schema1ChainFromConfig({ configBytes: Buffer.from('{"rootfs":{"type":"layers","base_layer":"x"},"history":[{}]}'), layers: one }),
      notBridgeable('invalid-config'),
    );
    assert.throws(() => schema1ChainFromConfig({ configBytes: Buffer.from('nope'), layers: one }), notBridgeable('invalid-config'));
  });
});
