/**
 * `berth gc` (lib/maintenance/gc.ts) on a store filled over HTTP with the bridge on: live V1
 * and V2 images (each bridged to the other protocol, so their forms share blobs), orphaned V1
 * images and V2 blobs, an interrupted V1 push and an abandoned V2 upload, all made older than
 * the grace period; then a fresh orphan that the grace period keeps. A dry run lists exactly
 * the orphans, a run removes them, the store verifies clean, and every tag still pulls over V1
 * and V2 with the same bytes.
 */
import assert from 'node:assert/strict';
import type { Config } from '../../lib/config/load.js';
import { collectGarbage, type GcOptions, type Swept } from '../../lib/maintenance/gc.js';
import { verifyStore } from '../../lib/maintenance/verify.js';
import { HostLocks } from '../../lib/services/host-lock.js';
import { exists, type StorageDriver } from '../../lib/storage/driver.js';
import { createStorage } from '../../lib/storage/factory.js';
import { v1 } from '../../lib/storage/paths.js';
import { tempDir, testConfig } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { age, pullBoth } from '../support/pull-both.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { payload } from '../support/v1-client.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

const id = (c: string, n: number) => `${c.repeat(63)}${n}`;
const LIVE_BASE = id('a', 1);
const LIVE_TOP = id('a', 2);
const ORPHAN_BASE = id('b', 1);
const ORPHAN_TOP = id('b', 2);
const KEPT_PARENT = id('c', 1);
const IN_PROGRESS = id('c', 2);
const HOUR = 3_600_000;

describe('berth gc on local storage', function () {
  this.timeout(120_000);
  let config: Readonly<Config>;
  let storage: StorageDriver;
  let srv: TestServer;
  let orphanBlobs: string[];
  let freshBlob: string;
  let pulled: Record<string, string[]>;
  let storagePath: string;
  const gc = (extra: Partial<GcOptions> = {}) => {
    const swept: Swept[] = [];
    const run = collectGarbage(storage, { graceMs: HOUR, locks: new HostLocks(config.lock_dir), onSweep: (s) => swept.push(s), ...extra });
    return run.then((report) => ({ report, swept: swept.map((s) => `${s.kind} ${s.name}`).sort() }));
  };

  before(async () => {
    storagePath = tempDir('gc-store-');
    config = testConfig(`  lock_dir: ${tempDir('gc-locks-')}\n`, {}, storagePath);
    srv = await startTestServer(config);
    const engine = v1Engine(srv.url);
    const api = v2Client(srv.url);
    const layer = (text: string) => gzipLayer({ [`${text}.txt`]: `${text}\n` }).then((l) => l.bytes);

    // Live: a V1 image (bridged to V2) and a V2 image (bridged to V1).
    await engine.push('v1live/app', 'latest', [
      { id: LIVE_BASE, json: v1Json(LIVE_BASE, null), layer: await layer('v1 base') },
      { id: LIVE_TOP, json: v1Json(LIVE_TOP, LIVE_BASE), layer: await layer('v1 top') },
    ]);
    const v2Layers = [await layer('v2 base'), await layer('v2 app')];
    await api.pushImage('v2live/app', 'latest', v2Layers, { mediaType: DOCKER_MANIFEST, config: await configFor(['v2 base', 'v2 app']) });

    // Orphans: two V1 images pushed and never tagged, two V2 blobs uploaded and never used by a manifest.
    for (const [image, parent] of [
      [ORPHAN_BASE, null],
      [ORPHAN_TOP, ORPHAN_BASE],
    ] as const) {
      await pushUntagged(srv.url, image, parent, await layer(`orphan ${image.slice(0, 4)}`));
    }
    orphanBlobs = [await api.pushBlob('v2live/app', await layer('orphan blob 1')), await api.pushBlob('v2orphan/app', await layer('orphan blob 2'))];

    // An interrupted V1 push (JSON and layer, no checksum) on top of an untagged image: both stay.
    await pushUntagged(srv.url, KEPT_PARENT, null, await layer('kept parent'));
    assert.equal((await engine.call('PUT', `/v1/images/${IN_PROGRESS}/json`, { body: v1Json(IN_PROGRESS, KEPT_PARENT) })).status, 200);
    assert.equal((await engine.call('PUT', `/v1/images/${IN_PROGRESS}/layer`, { body: await layer('half pushed') })).status, 200);
    // An abandoned V2 upload: a session with some bytes in it.
    const post = await api.call('POST', '/v2/v2live/app/blobs/uploads/');
    assert.equal(post.status, 202);
    const patch = await api.call('PATCH', post.headers.get('location') as string, {
      body: Buffer.from('half a blob'),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(patch.status, 202);
    await srv.services.bridge?.idle();

    await age(storagePath, 2 * HOUR);
    // Younger than the grace period: kept whatever refers to it.
    freshBlob = await api.pushBlob('v2orphan/app', await layer('fresh orphan'));
    storage = createStorage(config);
    pulled = { 'v1live/app': await pullBoth(srv.url, 'v1live/app', 'latest'), 'v2live/app': await pullBoth(srv.url, 'v2live/app', 'latest') };
  });
  after(async () => {
    await storage?.close();
    await srv?.stop();
  });

  it('a dry run lists exactly the orphans and changes nothing', async () => {
    const { report, swept } = await gc({ dryRun: true });
    assert.deepEqual(swept, [...orphanBlobs.map((d) => `v2-blob ${d}`), `v1-image ${ORPHAN_BASE}`, `v1-image ${ORPHAN_TOP}`].sort());
    assert.equal(report.freed.objects, 4);
    assert.ok(report.freed.bytes > 0);
    for (const image of [ORPHAN_BASE, ORPHAN_TOP]) assert.ok(await exists(storage, v1.imageJson(image)), `${image} is still there`);
    const again = await gc({ dryRun: true });
    assert.deepEqual(again.swept, swept, 'a dry run is repeatable');
  });

  it('a run removes them, keeps the push in progress, the open upload and the fresh blob, and the store verifies clean', async () => {
    const { report, swept } = await gc();
    assert.equal(swept.length, 4, swept.join('\n'));
    assert.equal(report.swept.v1Images, 2);
    assert.equal(report.swept.v2Blobs, 2);
    for (const image of [ORPHAN_BASE, ORPHAN_TOP]) assert.equal((await storage.list('images')).includes(`images/${image}`), false);
    for (const image of [KEPT_PARENT, IN_PROGRESS]) assert.ok(await exists(storage, v1.imageLayer(image)), `${image} stays`);
    assert.ok(await exists(storage, v1.imageMark(IN_PROGRESS)), 'the push is still in progress');
    const fresh = await v2Client(srv.url).call('HEAD', `/v2/v2orphan/app/blobs/${freshBlob}`);
    assert.equal(fresh.status, 200, 'the blob younger than the grace period stays');
    for (const d of orphanBlobs) {
      const gone = await v2Client(srv.url).call('HEAD', `/v2/v2live/app/blobs/${d}`);
      assert.equal(gone.status, 404);
    }
    assert.deepEqual((await gc({ dryRun: true })).swept, [], 'nothing left to collect');
    const verified = await verifyStore(storage, { uploadAgeMs: 7 * 86_400_000, leftoverAgeMs: 86_400_000 });
    assert.deepEqual(verified.findings, [], 'no dangling link, tag or parent');
  });

  it('every tag still pulls over V1 and V2, byte-identical', async () => {
    for (const [repo, bytes] of Object.entries(pulled)) assert.deepEqual(await pullBoth(srv.url, repo, 'latest'), bytes);
  });

  it('--untagged also drops a manifest no tag reaches, and then the blobs only it used', async () => {
    const api = v2Client(srv.url);
    const old = await api.pushImage('v2live/app', 'moving', [(await gzipLayer({ 'old.txt': 'old\n' })).bytes], { config: await configFor(['old']) });
    await api.pushImage('v2live/app', 'moving', [(await gzipLayer({ 'new.txt': 'new\n' })).bytes], { config: await configFor(['new']) });
    await srv.services.bridge?.idle();
    const kept = await pullBoth(srv.url, 'v2live/app', 'moving');
    await age(storagePath, 2 * HOUR);
    const plain = await gc({ dryRun: true });
    assert.equal(plain.swept.filter((s) => s.includes(old.digest)).length, 0, 'without --untagged the old manifest stays');
    const { swept } = await gc({ untagged: true });
    assert.ok(swept.includes(`v2-manifest v2live/app@${old.digest}`), swept.join('\n'));
    const layerOfOld = old.manifest.layers[0]?.digest as string;
    assert.ok(swept.includes(`v2-blob ${layerOfOld}`), 'its layer went with it');
    assert.equal((await api.call('GET', `/v2/v2live/app/manifests/${old.digest}`)).status, 404);
    assert.deepEqual(await pullBoth(srv.url, 'v2live/app', 'moving'), kept);
    for (const [repo, bytes] of Object.entries(pulled)) assert.deepEqual(await pullBoth(srv.url, repo, 'latest'), bytes);
    const verified = await verifyStore(storage, { uploadAgeMs: 7 * 86_400_000, leftoverAgeMs: 86_400_000 });
    assert.deepEqual(verified.findings, []);
  });
});

/** A V2 image config whose diff_ids match gzipLayer({`<name>.txt`: `<name>\n`}) layers. */
async function configFor(names: string[]): Promise<object> {
  const diffIds = [];
  for (const n of names) diffIds.push((await gzipLayer({ [`${n}.txt`]: `${n}\n` })).diffId);
  return { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, history: names.map(() => ({ created: '2024-01-01T00:00:00Z' })) };
}

/** A V1 image pushed whole (JSON, layer, checksum) and never tagged. */
async function pushUntagged(url: string, image: string, parent: string | null, layer: Buffer): Promise<void> {
  const engine = v1Engine(url);
  const json = v1Json(image, parent);
  assert.equal((await engine.call('PUT', `/v1/images/${image}/json`, { body: json })).status, 200);
  assert.equal((await engine.call('PUT', `/v1/images/${image}/layer`, { body: layer })).status, 200);
  const checksum = await engine.call('PUT', `/v1/images/${image}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(json, layer) } });
  assert.equal(checksum.status, 200);
}
