import assert from 'node:assert/strict';
import { RegistryError } from '../../../lib/errors/registry-error.js';
import { describeManifest, MediaType } from '../../../lib/services/v2/manifest-types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const code = (c: string) => (err: unknown) => err instanceof RegistryError && err.code === c;

describe('manifest classification and references', () => {
  it('an OCI manifest lists its config and layers, but not non-distributable layers or layers with urls', () => {
    const info = describeManifest(
      {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: D('a') },
        layers: [
          { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 1, digest: D('b') },
          { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', size: 1, digest: D('c') },
          { mediaType: 'application/vnd.oci.image.layer.v1.tar', size: 1, digest: D('d'), urls: ['https://example.com/x'] },
        ],
      },
      MediaType.ociManifest,
    );
    assert.equal(info.kind, 'image');
    assert.deepEqual(
      info.blobs.map((d) => d.value),
      [D('a'), D('b')],
    );
    assert.equal(info.configMediaType, 'application/vnd.oci.image.config.v1+json');
  });

  it('the conformance traps are accepted: no mediaType, no layers, data and unknown fields', () => {
    const info = describeManifest({
      schemaVersion: 2,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: D('a'), data: 'e30=', extra: 1 },
      layers: [],
      unknownField: true,
    });
    assert.equal(info.mediaType, MediaType.ociManifest);
    assert.equal(describeManifest({ schemaVersion: 2, manifests: [] }).mediaType, MediaType.ociIndex);
  });

  it('subject and artifactType are read; an index lists its children with platforms', () => {
    const info = describeManifest({
      schemaVersion: 2,
      mediaType: MediaType.ociIndex,
      artifactType: 'application/x-sig',
      subject: { mediaType: MediaType.ociManifest, size: 10, digest: D('e') },
      manifests: [{ mediaType: MediaType.ociManifest, size: 10, digest: D('f'), platform: { os: 'linux', architecture: 'amd64' } }],
    });
    assert.equal(info.subject?.value, D('e'));
    assert.equal(info.artifactType, 'application/x-sig');
    assert.equal(info.children[0]?.platform?.architecture, 'amd64');
  });

  it('schema1 is recognised without a Content-Type, signed or not', () => {
    const doc = { schemaVersion: 1, name: 'a/b', tag: 't', fsLayers: [{ blobSum: D('1') }], history: [{ v1Compatibility: '{}' }] };
    assert.equal(describeManifest(doc).mediaType, MediaType.schema1);
    assert.equal(describeManifest({ ...doc, signatures: [] }).mediaType, MediaType.schema1Signed);
    assert.equal(describeManifest(doc, 'application/json').kind, 'schema1');
    assert.throws(() => describeManifest({ ...doc, history: [] }), code('MANIFEST_INVALID'));
  });

  it('mismatched Content-Type and mediaType, bad descriptors and unknown types are MANIFEST_INVALID', () => {
    const m = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: { size: 1, digest: D('a') }, layers: [] };
    assert.throws(() => describeManifest(m, MediaType.dockerManifest), code('MANIFEST_INVALID'));
    assert.throws(() => describeManifest({ ...m, config: { size: -1, digest: D('a') } }), code('MANIFEST_INVALID'));
    assert.throws(() => describeManifest({ ...m, config: { size: 1, digest: 'sha256:xyz' } }), code('MANIFEST_INVALID'));
    assert.throws(() => describeManifest({ ...m, mediaType: 'text/plain' }), code('MANIFEST_INVALID'));
    assert.throws(() => describeManifest({ ...m, schemaVersion: 3 }), code('MANIFEST_INVALID'));
  });
});

describe('schema1 name and tag fields', () => {
  // Found by the bad-input fuzz (BERTH_FUZZ_SEED=292048387): an object whose toString is not a
  // function made String() throw, a 500 instead of MANIFEST_INVALID.
  const schema1 = (extra: Record<string, unknown>) => ({
    schemaVersion: 1,
    fsLayers: [{ blobSum: D('a') }],
    history: [{ v1Compatibility: '{}' }],
    ...extra,
  });
  for (const field of ['name', 'tag']) {
    it(`a ${field} that is not a string is MANIFEST_INVALID, whatever it holds`, () => {
      for (const value of [{ toString: 1, valueOf: 1 }, ['x'], 7, true]) {
        assert.throws(() => describeManifest(schema1({ [field]: value }), MediaType.schema1Signed), code('MANIFEST_INVALID'), JSON.stringify(value));
      }
    });
  }
  it('a missing name or tag is left for the signed payload checks', () => {
    const info = describeManifest(schema1({}), MediaType.schema1Signed);
    assert.equal(info.kind, 'schema1');
  });
});
