import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RegistryError } from '../../../lib/errors/registry-error.js';
import { keyId, schema1Payload, signSchema1 } from '../../../lib/services/v2/schema1.js';
import { INSTALL_DIR } from '../../../lib/version.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const fixture = readFileSync(path.join(INSTALL_DIR, 'test/fixtures/schema1/moby-good-manifest.json'));
const unverified = (err: unknown) => err instanceof RegistryError && err.code === 'MANIFEST_UNVERIFIED';

// A fixed test key of Berth's own, d = sha256("bridging-and-v2 test key") mod n, and a P it signs.
// Not an upstream vector: its kid (libtrust `util.go`), formatLength and digest were computed by an
// implementation independent of Berth, following libtrust `jsonsign.go` and distribution `manifest/schema1/sign.go`.
const FIXED_KEY = createPrivateKey({
  key: {
    kty: 'EC',
    crv: 'P-256',
    d: Buffer.from('4d0c31d90c5e34d78f20dc59ed431ff24619b167f03dc2e96c205d8d2f5645ee', 'hex').toString('base64url'),
    x: '9jV_oidrU_qbVEWfvnqBqcDq52_X9xlrXIH6BYGTw6M',
    y: 'juYVNkKxP4k2s3Xhqmq4ki6GRrrKRv_ypjun6yqufy4',
  },
  format: 'jwk',
});
const FIXED_P = Buffer.from(
  `{
   "schemaVersion": 1,
   "name": "library/example",
   "tag": "latest",
   "architecture": "amd64",
   "fsLayers": [
      {
         "blobSum": "sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4"
      }
   ],
   "history": [
      {
         "v1Compatibility": "{\\"id\\":\\"${'b'.repeat(64)}\\",\\"created\\":\\"2015-07-09T00:00:00Z\\",\\"container_config\\":{\\"Cmd\\":[\\"/bin/sh\\"]}}"
      }
   ]
}`,
);

describe('schema1 signed manifests (libtrust JWS)', () => {
  it("moby's good_manifest verifies, and its digest is that of the payload, not of the file", () => {
    const payload = schema1Payload(fixture, JSON.parse(fixture.toString()));
    assert.equal(payload.length, 3199);
    assert.equal(sha256(payload), '02fee8c3220ba806531f606525eceb83f4feb654f62b207191b1c9209188dedd');
    assert.notEqual(sha256(fixture), sha256(payload));
  });

  it('a changed byte inside the payload, or a kid that is not the key, fails verification', () => {
    const tampered = Buffer.from(fixture.toString().replace('"tag": "latest"', '"tag": "lateST"'));
    assert.throws(() => schema1Payload(tampered, JSON.parse(tampered.toString())), unverified);
    const wrongKid = Buffer.from(fixture.toString().replace('OIH7:HQFS', 'AAAA:HQFS'));
    assert.throws(() => schema1Payload(wrongKid, JSON.parse(wrongKid.toString())), unverified);
    const noSigs = JSON.parse(fixture.toString());
    noSigs.signatures = [];
    assert.throws(() => schema1Payload(fixture, noSigs), unverified);
  });

  it('a manifest without signatures is its own payload (unsigned v1+json)', () => {
    assert.equal(schema1Payload(FIXED_P, JSON.parse(FIXED_P.toString())), FIXED_P);
  });

  it('the fixed test key has the kid libtrust derives from it', () => {
    assert.equal(keyId(FIXED_KEY), 'MHCT:GSVQ:OMXO:2GLR:334B:CQX3:3XF3:YLYU:Q3AM:MRWB:J22M:37UJ');
    assert.equal(keyId(createPrivateKey(FIXED_KEY.export({ format: 'pem', type: 'pkcs8' }))), keyId(FIXED_KEY), 'the same after a PEM round trip');
  });

  it('signing P gives formatLength 462, tail "\\n}", a libtrust layout, and a document whose payload is P again', () => {
    assert.equal(FIXED_P.length, 464);
    assert.equal(sha256(FIXED_P), 'f1ff2fa9245311577c8b8213bb0ad8e147083f033565cab047748535e69fdc09');
    const signed = signSchema1(FIXED_P, FIXED_KEY, new Date('2015-07-09T00:00:00.500Z'));
    const doc = JSON.parse(signed.toString());
    const header = JSON.parse(Buffer.from(doc.signatures[0].protected, 'base64url').toString());
    assert.deepEqual(header, { formatLength: 462, formatTail: 'Cn0', time: '2015-07-09T00:00:00Z' });
    assert.deepEqual(Object.keys(doc.signatures[0].header.jwk), ['crv', 'kid', 'kty', 'x', 'y']);
    assert.ok(signed.subarray(0, 462).equals(FIXED_P.subarray(0, 462)));
    assert.match(signed.subarray(462).toString(), /^,\n {3}"signatures": \[\n {6}\{\n {9}"header": \{/);
    assert.ok(signed.toString().endsWith('\n   ]\n}'));
    assert.ok(schema1Payload(signed, doc).equals(FIXED_P), 'our own signature verifies and yields P');
  });

  it('compact payloads are signed compactly', () => {
    const compact = Buffer.from(JSON.stringify(JSON.parse(FIXED_P.toString())));
    const signed = signSchema1(compact, FIXED_KEY);
    assert.match(signed.toString(), /\}\],"signatures":\[\{"header"/);
    assert.ok(schema1Payload(signed, JSON.parse(signed.toString())).equals(compact));
  });
});
