/**
 * V2 manifests, tags, catalog and referrers over real HTTP (opencontainers/distribution-spec v1.1
 * `spec.md`, "Pulling manifests", "Pushing Manifests", "Content Discovery", "Content Management";
 * `_catalog` from distribution `docs/spec/api.md`): exact
 * bytes, Accept negotiation, missing references, schema1 signed pushes as Docker 1.6 sent
 * them, pagination, referrers with filters, deletes, and concurrent tag pushes — on local
 * storage and on S3 (Ceph RGW).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { schema1Payload, signSchema1 } from '../../lib/services/v2/schema1.js';
import { testConfig } from '../support/config.js';
import { API_STORES, serverForSuite } from '../support/stores.js';
import { DOCKER_LIST, DOCKER_MANIFEST, errorCode, OCI_INDEX, OCI_MANIFEST, sha256 } from '../support/v2-client.js';

const clientKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;

for (const [label, makeConfig] of API_STORES) {
  describe(`V2 manifests, tags and referrers on ${label}`, function () {
    this.timeout(120_000);
    const suite = serverForSuite(makeConfig);

    it('PUT stores the exact bytes; GET/HEAD by tag and digest return them with digest, type and ETag', async () => {
      const { bytes, digest, res } = await suite.api.pushImage('img/app', 'v1', [Buffer.from('layer one')]);
      assert.equal(res.headers.get('location'), `/v2/img/app/manifests/${digest}`);
      assert.equal(res.headers.get('docker-content-digest'), digest);
      for (const ref of ['v1', digest]) {
        const get = await suite.api.call('GET', `/v2/img/app/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
        assert.equal(get.status, 200);
        assert.ok(get.body.equals(bytes), 'byte-exact');
        assert.equal(get.headers.get('content-type'), OCI_MANIFEST);
        assert.equal(get.headers.get('docker-content-digest'), digest);
        const head = await suite.api.call('HEAD', `/v2/img/app/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('content-length'), String(bytes.length));
        assert.equal(head.body.length, 0);
      }
      const cached = await suite.api.call('GET', '/v2/img/app/manifests/v1', { headers: { 'If-None-Match': `"${digest}"` } });
      assert.equal(cached.status, 304);
    });

    it('Accept negotiation: an OCI manifest is not served to a client that lists only Docker types', async () => {
      await suite.api.pushImage('img/nego', 'oci', [Buffer.from('x')]);
      const res = await suite.api.call('GET', '/v2/img/nego/manifests/oci', { headers: { Accept: `${DOCKER_MANIFEST}, ${DOCKER_LIST}` } });
      assert.equal(res.status, 404);
      assert.equal(errorCode(res), 'MANIFEST_UNKNOWN');
      const several = await suite.api.call('GET', '/v2/img/nego/manifests/oci', { headers: { Accept: `${DOCKER_MANIFEST};q=0.9, ${OCI_MANIFEST};q=0.5` } });
      assert.equal(several.status, 200);
      assert.equal((await suite.api.call('GET', '/v2/img/nego/manifests/oci')).status, 200, 'no Accept: the stored type');
    });

    it('by tag, an index resolves to its linux/amd64 entry for a client that does not accept indexes', async () => {
      const amd = await suite.api.pushImage('img/multi', 'amd64', [Buffer.from('amd64 layer')], { mediaType: DOCKER_MANIFEST });
      const arm = await suite.api.pushImage('img/multi', 'arm64', [Buffer.from('arm64 layer')], { mediaType: DOCKER_MANIFEST });
      const list = {
        schemaVersion: 2,
        mediaType: DOCKER_LIST,
        manifests: [
          { mediaType: DOCKER_MANIFEST, size: arm.bytes.length, digest: arm.digest, platform: { architecture: 'arm64', os: 'linux' } },
          { mediaType: DOCKER_MANIFEST, size: amd.bytes.length, digest: amd.digest, platform: { architecture: 'amd64', os: 'linux' } },
        ],
      };
      assert.equal((await suite.api.putManifest('img/multi', 'latest', list, DOCKER_LIST)).status, 201);
      const old = await suite.api.call('GET', '/v2/img/multi/manifests/latest', { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(old.headers.get('docker-content-digest'), amd.digest);
      assert.ok(old.body.equals(amd.bytes));
      const modern = await suite.api.call('GET', '/v2/img/multi/manifests/latest', { headers: { Accept: `${DOCKER_MANIFEST}, ${DOCKER_LIST}` } });
      assert.equal(modern.headers.get('content-type'), DOCKER_LIST);
    });

    it('a manifest naming blobs the repository lacks is MANIFEST_BLOB_UNKNOWN; bad JSON is MANIFEST_INVALID; a wrong digest is DIGEST_INVALID', async () => {
      const config = await suite.api.pushBlob('img/missing', '{}');
      const manifest = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', size: 3, digest: sha256('not pushed') }],
      };
      const missing = await suite.api.putManifest('img/missing', 'latest', manifest);
      assert.equal(missing.status, 400);
      assert.equal(errorCode(missing), 'MANIFEST_BLOB_UNKNOWN');
      assert.equal((await suite.api.call('GET', '/v2/img/missing/manifests/latest')).status, 404, 'nothing was tagged');
      const bad = await suite.api.putManifest('img/missing', 'latest', '{"schemaVersion": 2,');
      assert.equal(errorCode(bad), 'MANIFEST_INVALID');
      const noLayers = { ...manifest, layers: [] };
      const wrong = await suite.api.putManifest('img/missing', sha256('something else'), noLayers);
      assert.equal(errorCode(wrong), 'DIGEST_INVALID');
      const right = await suite.api.putManifest('img/missing', sha256(JSON.stringify(noLayers)), noLayers);
      assert.equal(right.status, 201, 'a manifest with no layers, pushed by digest');
      const huge = await suite.api.putManifest('img/missing', 'huge', 'x'.repeat(4 * 1024 * 1024 + 1));
      assert.equal(huge.status, 413);
    });

    it('an index or manifest list naming a manifest the repository lacks is MANIFEST_BLOB_UNKNOWN (as registry:2); with its manifests pushed first, 201', async () => {
      const amd = await suite.api.pushImage('img/sparse', 'amd64', [Buffer.from('amd64 only')], { mediaType: DOCKER_MANIFEST });
      const ghost = sha256('an arm64 manifest never pushed');
      for (const mediaType of [OCI_INDEX, DOCKER_LIST]) {
        const child = mediaType === OCI_INDEX ? OCI_MANIFEST : DOCKER_MANIFEST;
        const index = {
          schemaVersion: 2,
          mediaType,
          manifests: [
            { mediaType: child, size: amd.bytes.length, digest: amd.digest, platform: { architecture: 'amd64', os: 'linux' } },
            { mediaType: child, size: 1234, digest: ghost, platform: { architecture: 'arm64', os: 'linux' } },
          ],
        };
        const res = await suite.api.putManifest('img/sparse', 'multi', index, mediaType);
        assert.equal(res.status, 400, mediaType);
        const error = res.json<{ errors: Array<{ code: string; detail: { digest: string } }> }>().errors[0];
        assert.equal(error?.code, 'MANIFEST_BLOB_UNKNOWN', mediaType);
        assert.equal(error?.detail.digest, ghost, mediaType);
        assert.equal((await suite.api.call('GET', '/v2/img/sparse/manifests/multi')).status, 404, 'nothing was tagged');
        const byDigest = await suite.api.call('GET', `/v2/img/sparse/manifests/${sha256(JSON.stringify(index))}`);
        assert.equal(byDigest.status, 404, 'nothing was stored');
      }
      // The same index with its arm64 manifest pushed first, as containerd, skopeo and crane push.
      const arm = await suite.api.pushImage('img/sparse', 'arm64', [Buffer.from('arm64 now')], { mediaType: DOCKER_MANIFEST });
      const complete = {
        schemaVersion: 2,
        mediaType: DOCKER_LIST,
        manifests: [
          { mediaType: DOCKER_MANIFEST, size: amd.bytes.length, digest: amd.digest, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: DOCKER_MANIFEST, size: arm.bytes.length, digest: arm.digest, platform: { architecture: 'arm64', os: 'linux' } },
        ],
      };
      assert.equal((await suite.api.putManifest('img/sparse', 'multi', complete, DOCKER_LIST)).status, 201);
      // A manifest pushed to another repository is not this repository's.
      const elsewhere = { ...complete, manifests: [complete.manifests[0]] };
      const other = await suite.api.putManifest('img/sparse-other', 'multi', elsewhere, DOCKER_LIST);
      assert.equal(errorCode(other), 'MANIFEST_BLOB_UNKNOWN');
    });

    it('?tag= on a PUT by digest tags it too, answered with OCI-Tag', async () => {
      const config = await suite.api.pushBlob('img/tags', '{"os":"linux"}');
      const m = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 14, digest: config },
        layers: [],
      });
      const res = await suite.api.call('PUT', `/v2/img/tags/manifests/${sha256(m)}?tag=a&tag=b`, { body: m, headers: { 'Content-Type': OCI_MANIFEST } });
      assert.equal(res.status, 201);
      assert.equal(res.headers.get('oci-tag'), 'a, b');
      assert.deepEqual(res.headers.get('oci-tag')?.split(', '), ['a', 'b']);
      assert.equal((await suite.api.call('GET', '/v2/img/tags/manifests/b')).headers.get('docker-content-digest'), sha256(m));
    });

    it('schema1 signed, as Docker 1.6 pushes it (no Content-Type): digest of the payload; served re-signed; checks name and tag', async () => {
      const layer = await suite.api.pushBlob('old/client', 'gzip bytes of a layer');
      const payload = Buffer.from(
        JSON.stringify(
          {
            schemaVersion: 1,
            name: 'old/client',
            tag: 'v1',
            architecture: 'amd64',
            fsLayers: [{ blobSum: layer }],
            history: [{ v1Compatibility: `{"id":"${'c'.repeat(64)}"}` }],
          },
          null,
          3,
        ),
      );
      const signed = signSchema1(payload, clientKey);
      const put = await suite.api.call('PUT', '/v2/old/client/manifests/v1', { body: signed });
      assert.equal(put.status, 201, put.body.toString());
      assert.equal(put.headers.get('docker-content-digest'), sha256(payload), 'Docker 1.6 refuses any other digest');
      const get = await suite.api.call('GET', '/v2/old/client/manifests/v1');
      assert.equal(get.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
      assert.equal(get.headers.get('docker-content-digest'), sha256(payload));
      assert.ok(schema1Payload(get.body, JSON.parse(get.body.toString())).equals(payload), 'the registry signature verifies over the same payload');
      assert.equal((await suite.api.call('GET', `/v2/old/client/manifests/${sha256(payload)}`)).status, 200);
      const tampered = Buffer.from(signed.toString().replace('"amd64"', '"arm64"'));
      assert.equal(errorCode(await suite.api.call('PUT', '/v2/old/client/manifests/v1', { body: tampered })), 'MANIFEST_UNVERIFIED');
      assert.equal(errorCode(await suite.api.call('PUT', '/v2/old/client/manifests/v2', { body: signed })), 'TAG_INVALID');
      assert.equal(errorCode(await suite.api.call('PUT', '/v2/old/other/manifests/v1', { body: signed })), 'NAME_INVALID');
    });

    it('schema1: every check is made on the signed payload, and malformed signatures are MANIFEST_UNVERIFIED, never a 500', async () => {
      // A validly signed document whose payload (formatLength 0 + formatTail) is something else entirely.
      const smuggle = (payload: string) => {
        const outer = Buffer.from(
          JSON.stringify(
            { schemaVersion: 1, name: 'old/smuggle', tag: 'evil', fsLayers: [{ blobSum: sha256('x') }], history: [{ v1Compatibility: '{}' }] },
            null,
            3,
          ),
        );
        const signed = JSON.parse(signSchema1(outer, clientKey).toString());
        const header = { formatLength: 0, formatTail: Buffer.from(payload).toString('base64url'), time: '2026-01-01T00:00:00Z' };
        const protectedText = Buffer.from(JSON.stringify(header)).toString('base64url');
        const sig = sign('sha256', Buffer.from(`${protectedText}.${Buffer.from(payload).toString('base64url')}`), {
          key: clientKey,
          dsaEncoding: 'ieee-p1363',
        });
        signed.signatures[0].protected = protectedText;
        signed.signatures[0].signature = sig.toString('base64url');
        return JSON.stringify(signed);
      };
      const oci = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'x', size: 1, digest: sha256('never pushed') },
        layers: [],
      });
      for (const payload of [oci, 'not json at all']) {
        const res = await suite.api.call('PUT', '/v2/old/smuggle/manifests/evil', { body: smuggle(payload) });
        assert.equal(res.status, 400, payload);
        assert.equal(errorCode(res), 'MANIFEST_INVALID');
      }
      assert.equal((await suite.api.call('GET', '/v2/old/smuggle/manifests/evil')).status, 404, 'nothing was stored');

      const base = { schemaVersion: 1, name: 'old/sigs', tag: 't', fsLayers: [{ blobSum: sha256('x') }], history: [{ v1Compatibility: '{}' }] };
      const withSignature = (signature: object) => JSON.stringify({ ...base, signatures: [signature] });
      const ed = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
      for (const body of [
        withSignature({ header: { alg: 'ES256', jwk: {} }, signature: 'AA', protected: Buffer.from('null').toString('base64url') }),
        withSignature({
          header: { alg: 'ES256', jwk: ed },
          signature: 'AA',
          protected: Buffer.from('{"formatLength":10,"formatTail":"fQ"}').toString('base64url'),
        }),
        withSignature({
          header: { alg: 'RS256', jwk: ed },
          signature: 'AA',
          protected: Buffer.from('{"formatLength":10,"formatTail":"fQ"}').toString('base64url'),
        }),
        JSON.stringify({ ...base, signatures: [null] }),
      ]) {
        const res = await suite.api.call('PUT', '/v2/old/sigs/manifests/t', { body });
        assert.equal(res.status, 400, body);
        assert.equal(errorCode(res), 'MANIFEST_UNVERIFIED', body);
      }
    });

    it('a manifest without mediaType whose Content-Type names another kind is refused, not stored to come back as something else', async () => {
      const list = { schemaVersion: 2, manifests: [] };
      const res = await suite.api.putManifest('img/untyped', 'list', list, DOCKER_LIST);
      assert.equal(res.status, 400);
      assert.equal(errorCode(res), 'MANIFEST_INVALID');
      const artifact = { schemaVersion: 2, blobs: [] };
      assert.equal((await suite.api.putManifest('img/untyped', 'art', artifact, 'application/vnd.oci.artifact.manifest.v1+json')).status, 400);
      assert.equal((await suite.api.putManifest('img/untyped', 'idx', list, OCI_INDEX)).status, 201, 'the shape says OCI index: fine');
    });

    it('a Docker schema2 manifest is served to a client whose Accept does not list it (as distribution v3)', async () => {
      await suite.api.pushImage('img/docker', 'v1', [Buffer.from('d')], { mediaType: DOCKER_MANIFEST });
      const res = await suite.api.call('GET', '/v2/img/docker/manifests/v1', { headers: { Accept: 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), DOCKER_MANIFEST);
    });

    it('concurrent DELETEs of one manifest: one 202, the others 404, never a 500', async () => {
      const { digest } = await suite.api.pushImage('race/delete', 'a', [Buffer.from('r')]);
      const results = await Promise.all(Array.from({ length: 6 }, () => suite.api.call('DELETE', `/v2/race/delete/manifests/${digest}`)));
      const statuses = results.map((r) => r.status).sort();
      assert.ok(
        statuses.every((s) => s === 202 || s === 404),
        String(statuses),
      );
      assert.ok(statuses.includes(202));
    });

    it('tags/list and _catalog page with n and last and a Link header; an unknown repository is NAME_UNKNOWN', async () => {
      for (const tag of ['t3', 't1', 't5', 't2', 't4']) await suite.api.pushImage('list/app', tag, []);
      const all = await suite.api.call('GET', '/v2/list/app/tags/list');
      assert.deepEqual(all.json(), { name: 'list/app', tags: ['t1', 't2', 't3', 't4', 't5'] });
      const first = await suite.api.call('GET', '/v2/list/app/tags/list?n=2');
      assert.deepEqual(first.json<{ tags: string[] }>().tags, ['t1', 't2']);
      assert.equal(first.headers.get('link'), '</v2/list/app/tags/list?last=t2&n=2>; rel="next"');
      const next = await suite.api.call('GET', '/v2/list/app/tags/list?last=t2&n=2');
      assert.deepEqual(next.json<{ tags: string[] }>().tags, ['t3', 't4']);
      const none = await suite.api.call('GET', '/v2/list/app/tags/list?n=0');
      assert.deepEqual(none.json<{ tags: string[] }>().tags, []);
      assert.equal(none.headers.get('link'), null);
      assert.equal(errorCode(await suite.api.call('GET', '/v2/list/nothing/tags/list')), 'NAME_UNKNOWN');
      const catalog = await suite.api.call('GET', '/v2/_catalog');
      const repos = catalog.json<{ repositories: string[] }>().repositories;
      assert.ok(repos.includes('list/app') && repos.includes('img/app'));
      assert.deepEqual([...repos].sort(), repos);
      const page = await suite.api.call('GET', '/v2/_catalog?n=1');
      assert.equal(page.json<{ repositories: string[] }>().repositories.length, 1);
      assert.match(page.headers.get('link') ?? '', /^<\/v2\/_catalog\?last=[^&]+&n=1>; rel="next"$/);
    });

    it('referrers: listed with artifactType and annotations, filtered, for a missing subject too; OCI-Subject on push', async () => {
      const subject = await suite.api.pushImage('ref/app', 'subject', [Buffer.from('base')]);
      const emptyConfig = await suite.api.pushBlob('ref/app', '{}');
      const referrer = async (i: number, fields: object) => {
        const body = {
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          subject: { mediaType: OCI_MANIFEST, size: subject.bytes.length, digest: subject.digest },
          annotations: { n: String(i) },
          ...fields,
        };
        const res = await suite.api.putManifest('ref/app', sha256(JSON.stringify(body)), body);
        assert.equal(res.status, 201, res.body.toString());
        assert.equal(res.headers.get('oci-subject'), subject.digest);
      };
      const cfg = (type: string) => ({ config: { mediaType: type, size: 2, digest: emptyConfig }, layers: [] });
      await referrer(1, cfg('application/vnd.example.sbom'));
      await referrer(2, cfg('application/vnd.example.sbom'));
      await referrer(3, { artifactType: 'application/vnd.example.sig', ...cfg('application/vnd.oci.empty.v1+json') });
      await referrer(4, { artifactType: 'application/vnd.example.sig', ...cfg('application/vnd.oci.empty.v1+json') });
      const index = {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [],
        subject: { mediaType: OCI_MANIFEST, size: subject.bytes.length, digest: subject.digest },
        annotations: { n: '5' },
      };
      assert.equal((await suite.api.putManifest('ref/app', sha256(JSON.stringify(index)), index, OCI_INDEX)).status, 201);

      const all = await suite.api.call('GET', `/v2/ref/app/referrers/${subject.digest}`);
      assert.equal(all.status, 200);
      assert.equal(all.headers.get('content-type'), OCI_INDEX);
      const list = all.json<{
        manifests: Array<{ artifactType?: string; annotations: Record<string, string>; mediaType: string; size: number; digest: string }>;
      }>().manifests;
      assert.equal(list.length, 5);
      assert.deepEqual(list.map((m) => m.annotations.n).sort(), ['1', '2', '3', '4', '5']);
      assert.equal(list.find((m) => m.annotations.n === '1')?.artifactType, 'application/vnd.example.sbom');
      assert.equal(list.find((m) => m.annotations.n === '5')?.artifactType, undefined);
      const filtered = await suite.api.call('GET', `/v2/ref/app/referrers/${subject.digest}?artifactType=application/vnd.example.sig`);
      assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(
        filtered
          .json<{ manifests: Array<{ annotations: Record<string, string> }> }>()
          .manifests.map((m) => m.annotations.n)
          .sort(),
        ['3', '4'],
      );
      const unknown = await suite.api.call('GET', `/v2/ref/app/referrers/${sha256('no such subject')}`);
      assert.equal(unknown.status, 200);
      assert.deepEqual(unknown.json<{ manifests: unknown[] }>().manifests, []);
      assert.equal((await suite.api.call('GET', '/v2/ref/app/referrers/sha256:bad')).status, 400);
      // A referrer to a subject that was never pushed is accepted and listed.
      const ghost = sha256('ghost');
      const orphan = {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        subject: { mediaType: OCI_MANIFEST, size: 1, digest: ghost },
        ...cfg('application/x-orphan'),
      };
      assert.equal((await suite.api.putManifest('ref/app', 'orphan', orphan)).status, 201);
      assert.equal((await suite.api.call('GET', `/v2/ref/app/referrers/${ghost}`)).json<{ manifests: unknown[] }>().manifests.length, 1);
      // Deleting a referrer takes it out of the list.
      assert.equal((await suite.api.call('DELETE', `/v2/ref/app/manifests/${sha256(JSON.stringify(orphan))}`)).status, 202);
      assert.equal((await suite.api.call('GET', `/v2/ref/app/referrers/${ghost}`)).json<{ manifests: unknown[] }>().manifests.length, 0);
    });

    it('DELETE by tag removes the tag only; by digest removes the manifest and every tag on it', async () => {
      const { digest } = await suite.api.pushImage('del/app', 'one', [Buffer.from('d')]);
      await suite.api.putManifest('del/app', 'two', (await suite.api.call('GET', `/v2/del/app/manifests/${digest}`)).body.toString());
      assert.equal((await suite.api.call('DELETE', '/v2/del/app/manifests/one')).status, 202);
      assert.equal((await suite.api.call('GET', '/v2/del/app/manifests/one')).status, 404);
      assert.equal((await suite.api.call('GET', `/v2/del/app/manifests/${digest}`)).status, 200);
      assert.deepEqual((await suite.api.call('GET', '/v2/del/app/tags/list')).json<{ tags: string[] }>().tags, ['two']);
      assert.equal((await suite.api.call('DELETE', `/v2/del/app/manifests/${digest}`)).status, 202);
      assert.equal(errorCode(await suite.api.call('GET', `/v2/del/app/manifests/${digest}`)), 'MANIFEST_UNKNOWN');
      assert.equal((await suite.api.call('GET', '/v2/del/app/manifests/two')).status, 404);
      assert.deepEqual((await suite.api.call('GET', '/v2/del/app/tags/list')).json<{ tags: string[] }>().tags, []);
      assert.equal((await suite.api.call('DELETE', `/v2/del/app/manifests/${digest}`)).status, 404);
      assert.equal((await suite.api.call('DELETE', '/v2/del/app/manifests/never')).status, 404);
    });

    it('clients pushing different manifests to one tag at once leave it on one of them, consistent', async () => {
      const images = await Promise.all([0, 1, 2, 3].map((i) => suite.api.pushImage('race/tag', `own-${i}`, [Buffer.from(`layer ${i}`)])));
      const results = await Promise.all(images.map((img) => suite.api.putManifest('race/tag', 'shared', img.bytes.toString())));
      assert.deepEqual(
        results.map((r) => r.status),
        [201, 201, 201, 201],
      );
      const got = await suite.api.call('GET', '/v2/race/tag/manifests/shared');
      const digest = got.headers.get('docker-content-digest');
      assert.ok(images.some((img) => img.digest === digest));
      assert.equal(sha256(got.body), digest, 'the bytes are those of the digest the tag names');
    });
  });
}

describe('V2 indexes with v2_sparse_indexes: true', () => {
  const suite = serverForSuite(async () => testConfig('  v2_sparse_indexes: true\n'));

  it('an OCI index and a Docker manifest list naming a manifest the repository lacks are stored (201) and served as pushed', async () => {
    const amd = await suite.api.pushImage('img/sparse', 'amd64', [Buffer.from('amd64 only')]);
    for (const [mediaType, child] of [
      [OCI_INDEX, OCI_MANIFEST],
      [DOCKER_LIST, DOCKER_MANIFEST],
    ] as const) {
      const index = {
        schemaVersion: 2,
        mediaType,
        manifests: [
          { mediaType: child, size: amd.bytes.length, digest: amd.digest, platform: { architecture: 'amd64', os: 'linux' } },
          { mediaType: child, size: 1234, digest: sha256(`missing ${mediaType}`), platform: { architecture: 'arm64', os: 'linux' } },
        ],
      };
      const res = await suite.api.putManifest('img/sparse', mediaType === OCI_INDEX ? 'oci' : 'docker', index, mediaType);
      assert.equal(res.status, 201, res.body.toString());
      const got = await suite.api.call('GET', `/v2/img/sparse/manifests/${res.headers.get('docker-content-digest')}`, { headers: { Accept: mediaType } });
      assert.equal(got.status, 200);
      assert.equal(got.body.toString(), JSON.stringify(index));
    }
  });
});
