/**
 * scripts/verify's checks and repairs (lib/maintenance/verify.ts), without HTTP in between: a
 * store filled by real V1 and V2 pushes (the bridge on) verifies clean on local storage, S3
 * (Ceph RGW) and Glance; then damage is injected (a corrupted layer byte, a V2 blob byte, tags
 * pointing at nothing, a lost ancestry, a parent that is gone, a link to a blob that is, a push
 * abandoned halfway, an abandoned upload), found as such, and --repair makes only the safe fixes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Digest, parseDigest } from '../../lib/checksums/digest.js';
import type { Config } from '../../lib/config/load.js';
import { pyJson } from '../../lib/formats/py-json.js';
import { type Finding, type VerifyOptions, verifyStore } from '../../lib/maintenance/verify.js';
import { exists, type StorageDriver } from '../../lib/storage/driver.js';
import { createStorage } from '../../lib/storage/factory.js';
import { v1, v2 } from '../../lib/storage/paths.js';
import { loadYaml, tempDir } from '../support/config.js';
import { gzipLayer, sha256of } from '../support/layers.js';
import { startTestServer } from '../support/server.js';
import { type GlanceService, startGlance } from '../support/services.js';
import { API_STORES, type StoreConfig } from '../support/stores.js';
import { payload } from '../support/v1-client.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

const A = `${'a'.repeat(63)}1`;
const B = `${'b'.repeat(63)}2`;
const C = `${'c'.repeat(63)}3`;
const GHOST = `${'d'.repeat(63)}4`;
const E = `${'e'.repeat(63)}5`;

/** Flip one byte in the middle of an object, as a bad disk or a bad copy would. */
async function corrupt(storage: StorageDriver, path: string): Promise<void> {
  const bytes = await storage.getContent(path);
  bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0xff;
  await storage.putContent(path, bytes);
}

const kinds = (findings: Finding[]) => findings.map((f) => `${f.kind} ${f.path}`).sort();

// Glance images are not under a prefix: the shared glance-api holds every other suite's V1
// images (some half-pushed on purpose), which a verify --repair must not touch. One of its own.
let glance: GlanceService | null = null;
const ownGlance: StoreConfig = async () => {
  glance = await startGlance();
  if (!glance) return null;
  const yaml = `t:\n  standalone: true\n  loglevel: error\n  storage: glance\n  glance_url: ${glance.url}\n  storage_alternate: file\n  storage_path: ${tempDir()}\n`;
  return loadYaml(yaml, 't').config;
};
const STORES: Array<[string, StoreConfig]> = [...API_STORES.slice(0, 2), ['Glance (V2 data on storage_alternate), a glance-api of its own', ownGlance]];

for (const [label, makeConfig] of STORES) {
  describe(`verify on ${label}`, function () {
    this.timeout(180_000);
    let config: Readonly<Config>;
    let storage: StorageDriver;
    let v2Layer: string;
    const options = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({ uploadAgeMs: 7 * 86_400_000, leftoverAgeMs: 86_400_000, ...extra });

    before(async function () {
      const made = await makeConfig();
      if (!made) return this.skip();
      config = made;
      const srv = await startTestServer(config);
      try {
        const base = await gzipLayer({ 'hello/': '', 'hello/world.txt': 'Hello from V1\n' });
        const top = await gzipLayer({ 'hello/top.txt': 'the top layer\n' });
        await v1Engine(srv.url).push('v1push/app', 'latest', [
          { id: A, json: v1Json(A, null), layer: base.bytes },
          { id: B, json: v1Json(B, A), layer: top.bytes },
        ]);
        const layers = [await gzipLayer({ 'base.txt': 'base\n' }), await gzipLayer({ 'app.txt': 'app\n' })];
        const imageConfig = {
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
          history: [{ created: '2024-01-01T00:00:00Z' }, { created: '2024-01-01T00:00:01Z' }],
        };
        await v2Client(srv.url).pushImage(
          'v2push/app',
          'latest',
          layers.map((l) => l.bytes),
          { mediaType: DOCKER_MANIFEST, config: imageConfig },
        );
        v2Layer = v2.blobData(parseDigest(layers[1]?.digest) as Digest);
        await srv.services.bridge?.idle();
      } finally {
        await srv.stop();
      }
      storage = createStorage(config);
    });
    after(async () => {
      await storage?.close();
      await glance?.stop();
      glance = null;
    });

    it('a store filled by V1 and V2 pushes (and the bridge) is clean, every checksum and digest recomputed', async () => {
      let total = 0;
      let items = 0;
      const report = await verifyStore(storage, options({ onTotal: (n) => (total = n), onItem: () => items++ }));
      assert.deepEqual(report.findings, []);
      assert.equal(report.remaining, 0);
      const c = report.checked;
      assert.ok(c.images >= 4, `${c.images} images: two pushed over V1, two the bridge made`);
      assert.equal(c.checksums, c.images, 'every V1 checksum');
      assert.ok(c.blobs >= 5 && c.digests >= c.blobs, `${c.blobs} blobs, ${c.digests} digests (aliased V1 layers too)`);
      assert.equal(c.repositories, 2);
      assert.ok(c.v1Tags >= 2 && c.v2Tags >= 2);
      assert.ok(total > 0 && items === total, `${items} of ${total} items reported`);
      const sampled = await verifyStore(
        storage,
        options({
          sample: 0.5,
          random: (() => {
            let n = 0;
            return () => (n++ % 2) / 2;
          })(),
        }),
      );
      assert.ok(sampled.checked.checksums < c.checksums && sampled.checked.checksums > 0, 'a sample recomputes some');
      assert.equal(sampled.checked.images, c.images, 'and still looks at every image');
    });

    it('finds injected damage, and --repair makes only the safe fixes', async () => {
      // An abandoned V1 push (JSON, no layer) and an abandoned V2 upload, made over HTTP.
      const srv = await startTestServer(config);
      let upload: string;
      try {
        const put = await fetch(`${srv.url}/v1/images/${C}/json`, { method: 'PUT', body: v1Json(C, null), headers: { 'Content-Type': 'application/json' } });
        assert.equal(put.status, 200);
        const post = await fetch(`${srv.url}/v2/v2push/app/blobs/uploads/`, { method: 'POST' });
        assert.equal(post.status, 202);
        upload = `v2push/app/${post.headers.get('docker-upload-uuid')}`;
      } finally {
        await srv.stop();
      }
      const ancestryOfB = await storage.getContent(v1.imageAncestry(B));
      await corrupt(storage, v1.imageLayer(B));
      await corrupt(storage, v2Layer);
      await storage.delete(v1.imageAncestry(B));
      await storage.putContent(v1.tag('library', 'ghost', 'latest'), GHOST);
      const nowhere = sha256of(randomBytes(16));
      await storage.putContent(v2.tagCurrent('v2push/app', 'ghost'), nowhere);
      // A tag with an index entry and no current link (cut off while deleted, say): listed, not pullable.
      const manifestOf = parseDigest((await storage.getContent(v2.tagCurrent('v2push/app', 'latest'))).toString().trim()) as Digest;
      await storage.putContent(v2.tagIndexLink('v2push/app', 'cut', manifestOf), manifestOf.value);
      // An image whose parent is gone, and a layer link to a blob that is.
      const orphanJson = v1Json(E, GHOST);
      await storage.putContent(v1.imageAncestry(E), pyJson([E, GHOST]));
      await storage.putContent(v1.imageLayer(E), 'layer');
      await storage.putContent(v1.imageChecksum(E), pyJson([payload(orphanJson, Buffer.from('layer'))]));
      await storage.putContent(v1.imageJson(E), orphanJson);
      const gone = parseDigest(sha256of(randomBytes(16))) as Digest;
      await storage.putContent(v2.layerLink('v2push/app', gone), gone.value);

      // Past the upload age: the push of C and the upload are abandoned.
      const aged = options({ uploadAgeMs: 1000, now: Date.now() + 60_000 });
      const found = await verifyStore(storage, aged);
      const damage = [
        `checksum-mismatch ${v1.imageLayer(B)}`,
        `blob-digest-mismatch ${v1.imageLayer(B)}`, // the bridge shows it to V2 as a blob
        `blob-digest-mismatch ${v2Layer}`,
        `checksum-mismatch ${v2Layer}`, // the V1 image the bridge made from it
        `tag-dangling ${v1.tag('library', 'ghost', 'latest')}`,
        `tag-dangling ${v2.tagCurrent('v2push/app', 'ghost')}`,
        `tag-dangling ${v2.tag('v2push/app', 'cut')}`,
        `parent-missing ${v1.imageJson(E)}`,
        `link-dangling ${v2.layerLink('v2push/app', gone)}`,
      ];
      const safe = [`ancestry-missing ${v1.imageAncestry(B)}`, `inprogress-stale ${v1.imageMark(C)}`, `upload-abandoned ${upload}`];
      assert.deepEqual(kinds(found.findings), [...damage, ...safe].sort(), JSON.stringify(found.findings, null, 1));
      for (const f of found.findings) assert.equal(f.repair, safe.includes(`${f.kind} ${f.path}`) ? 'repairable' : null, `${f.kind} ${f.path}`);
      assert.equal(found.remaining, damage.length + safe.length);
      assert.match(
        found.findings.find((f) => f.kind === 'checksum-mismatch' && f.path === v1.imageLayer(B))?.message ?? '',
        /does not match the stored sha256:/,
      );
      assert.equal(await exists(storage, v1.imageJson(C)), true, 'listing changes nothing');

      const repaired = await verifyStore(storage, { ...aged, repair: true });
      assert.deepEqual(kinds(repaired.findings), kinds(found.findings));
      for (const f of repaired.findings) assert.equal(f.repair, safe.includes(`${f.kind} ${f.path}`) ? 'repaired' : null, `${f.kind} ${f.path}: ${f.error}`);
      assert.equal(repaired.remaining, damage.length);
      assert.deepEqual(await storage.getContent(v1.imageAncestry(B)), ancestryOfB, 'the ancestry is rebuilt as the push wrote it');
      assert.equal((await storage.getContent(v1.imageAncestry(B))).toString(), pyJson([B, A]));
      assert.equal(await exists(storage, v1.imageDir(C)), false, 'the abandoned push is gone, mark and all');
      assert.equal(await exists(storage, v2.upload('v2push/app', upload.split('/').at(-1) as string)), false);

      assert.deepEqual(kinds((await verifyStore(storage, aged)).findings), damage.sort(), 'what a person must decide stays listed');
    });

    it('a stale mark on an image something refers to is listed, not dropped', async () => {
      await storage.putContent(v1.imageMark(A), 'true'); // A is B's parent and tagged
      try {
        const report = await verifyStore(storage, options({ uploadAgeMs: 1000, now: Date.now() + 60_000, repair: true }));
        const stale = report.findings.find((f) => f.kind === 'inprogress-stale');
        assert.equal(stale?.path, v1.imageMark(A));
        assert.equal(stale?.repair, null);
        assert.match(stale?.message ?? '', /refers to the image: push it again/);
        assert.equal(await exists(storage, v1.imageJson(A)), true);
      } finally {
        await storage.delete(v1.imageMark(A));
      }
    });
  });
}

describe('verify: a tag directory a crash left without any link', () => {
  it('is not a dangling tag (nothing points anywhere; the leftover sweep prunes it)', async () => {
    const root = tempDir();
    const config = loadYaml(`t:\n  storage: local\n  storage_path: ${root}\n`, 't').config;
    const storage = createStorage(config);
    try {
      const digest = parseDigest(sha256of('manifest')) as Digest;
      await storage.putContent(v2.revisionLink('crashed/app', digest), digest.value);
      // A kill between making current/ and renaming its link into it.
      mkdirSync(path.join(root, v2.tagCurrent('crashed/app', 'halfway').replace(/\/link$/, '')), { recursive: true });
      const report = await verifyStore(storage, { uploadAgeMs: 86_400_000, leftoverAgeMs: 86_400_000, sample: 0 });
      assert.deepEqual(
        report.findings.filter((f) => f.kind === 'tag-dangling'),
        [],
      );
    } finally {
      await storage.close();
    }
  });
});
