import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isNotBridgeable } from '../../lib/bridge/not-bridgeable.js';
import { schema1FromV1Chain } from '../../lib/bridge/v1-to-schema1.js';
import { schema1Payload, signSchema1 } from '../../lib/services/v2/schema1.js';
import { INSTALL_DIR } from '../../lib/version.js';

const fixture = (name: string) => readFileSync(path.join(INSTALL_DIR, 'test/fixtures/bridge', name));
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const notBridgeable = (reason: string) => (err: unknown) => isNotBridgeable(err) && err.reason === reason;

// A worked example computed outside Berth (an independent implementation of
// distribution/distribution manifest/schema1/sign.go and docker/libtrust jsonsign.go), not an
// upstream vector: a one-image chain and the payload P it must give (464 bytes, digest
// f1ff2fa9…).
const SPEC_JSON = `{"id":"${'b'.repeat(64)}","created":"2015-07-09T00:00:00Z","container_config":{"Cmd":["/bin/sh"]}}`;
const EMPTY_GZ = 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const SPEC_P_DIGEST = 'sha256:f1ff2fa9245311577c8b8213bb0ad8e147083f033565cab047748535e69fdc09';
// Any P-256 key: the payload and its digest do not depend on which key signs.
const { privateKey: REGISTRY_KEY } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

const specPayload = () => schema1FromV1Chain({ name: 'library/example', tag: 'latest', chain: [{ json: Buffer.from(SPEC_JSON), blobDigest: EMPTY_GZ }] });

describe('bridge: a V1 chain as a schema1 payload', () => {
  it('the worked example: the one-image chain gives the 464-byte P with digest f1ff2fa9…, ending in "\\n}" (formatTail Cn0)', () => {
    const p = specPayload();
    assert.equal(p.length, 464);
    assert.equal(sha256(p), SPEC_P_DIGEST);
    assert.ok(p.toString().endsWith('\n   ]\n}'));
  });

  it('signed with the registry key, the document verifies and its payload digest is still sha256(P)', () => {
    const p = specPayload();
    const signed = signSchema1(p, REGISTRY_KEY, new Date('2015-09-11T04:13:48Z'));
    const payload = schema1Payload(signed, JSON.parse(signed.toString()));
    assert.deepEqual(payload, p);
    assert.equal(sha256(payload), SPEC_P_DIGEST);
    const header = JSON.parse(Buffer.from(JSON.parse(signed.toString()).signatures[0].protected, 'base64url').toString());
    assert.deepEqual(header, { formatLength: 462, formatTail: 'Cn0', time: '2015-09-11T04:13:48Z' });
  });

  it('the two-image worked example: one fsLayer per image, top first, each v1Compatibility the stored JSON verbatim, architecture from the top', () => {
    const base = fixture('v1-base.json');
    const top = fixture('v1-top.json');
    const hello = 'sha256:376418ea7fe9755bf58b5eb8ef0a18104f57ab92073077da2535637e7624e8d1';
    const doc = JSON.parse(
      schema1FromV1Chain({
        name: 'library/hello',
        tag: 'v1',
        chain: [
          { json: top, blobDigest: EMPTY_GZ },
          { json: base, blobDigest: hello },
        ],
      }).toString(),
    );
    assert.deepEqual(Object.keys(doc), ['schemaVersion', 'name', 'tag', 'architecture', 'fsLayers', 'history']);
    assert.deepEqual([doc.schemaVersion, doc.name, doc.tag, doc.architecture], [1, 'library/hello', 'v1', 'amd64']);
    assert.deepEqual(doc.fsLayers, [{ blobSum: EMPTY_GZ }, { blobSum: hello }]);
    assert.deepEqual(
      doc.history.map((h: { v1Compatibility: string }) => h.v1Compatibility),
      [top.toString(), base.toString()],
    );
  });

  it('writes v1Compatibility as Go writes string(json): <>& escaped; an arm64 top JSON names its architecture', () => {
    const json = `{"id":"${'c'.repeat(64)}","architecture":"arm64","comment":"<&>"}`;
    const p = schema1FromV1Chain({ name: 'a/b', tag: 't', chain: [{ json: Buffer.from(json), blobDigest: EMPTY_GZ }] }).toString();
    assert.ok(p.includes(String.raw`"v1Compatibility": "{\"id\":\"${'c'.repeat(64)}\",\"architecture\":\"arm64\",\"comment\":\"\u003c\u0026\u003e\"}"`));
    assert.ok(p.includes('"architecture": "arm64",'));
  });

  it('refuses what Docker ≥1.10 verifySchema1Manifest refuses: no images, a parent chain out of order, a base with a parent, bad ids', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const link = (json: object) => ({ json: Buffer.from(JSON.stringify(json)), blobDigest: EMPTY_GZ });
    const build = (chain: ReturnType<typeof link>[]) => schema1FromV1Chain({ name: 'a/b', tag: 't', chain });
    assert.throws(() => build([]), notBridgeable('broken-chain'));
    assert.throws(() => build([link({ id: a }), link({ id: b, parent: a })]), notBridgeable('broken-chain'));
    assert.throws(() => build([link({ id: a, parent: b })]), notBridgeable('broken-chain'));
    assert.throws(() => build([link({ id: 'x' })]), notBridgeable('invalid-v1-json'));
    build([link({ id: b, parent: a }), link({ id: a })]);
    assert.throws(() => schema1FromV1Chain({ name: 'a/b', tag: 't', chain: [{ json: Buffer.from(`{"id":"${a}"}`), blobDigest: 'nope' }] }), TypeError);
  });
});
