/**
 * `berth gc` while the server takes pushes: a bounded loop of V2 and V1 pushes (new layers, a
 * layer every push shares, and a cross-repository mount of a blob nothing referred to, so
 * blobs get re-linked under gc's feet) runs against a live server while gc runs again and
 * again. The blobs the pushes re-link are in the store before, aged an hour: nothing but the
 * locks and the re-checks keeps gc from them (and one aged blob no push uses must be swept
 * meanwhile, so gc really deletes under the pushes). The grace period is only as long as one push
 * (its new blobs before its manifest: what the grace period is for, a grace of 0 refuses such
 * a push by design).
 * A push the server refuses is a failure (gc deleting a blob under a push shows as exactly
 * that), with each refused step's answer printed; every push must pull whole afterwards, over
 * V2 and over V1 (the bridge shows each in the other), after one more collection.
 *
 * The storage's timestamps come from a coarse kernel clock that may read a few ms behind
 * Date.now(); gc allows for that with a clock slack (2 s by default), which this test narrows
 * to 50 ms so that the locks, not the slack, are what protects the pushes. BERTH_LONG_TESTS=1
 * pushes five times as many.
 */
import assert from 'node:assert/strict';
import type { Config } from '../../lib/config/load.js';
import { collectGarbage, type GcReport } from '../../lib/maintenance/gc.js';
import { HostLocks } from '../../lib/services/host-lock.js';
import type { StorageDriver } from '../../lib/storage/driver.js';
import { createStorage } from '../../lib/storage/factory.js';
import { tempDir, testConfig } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { age, pullBoth } from '../support/pull-both.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { payload } from '../support/v1-client.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

const LONG = Boolean(Number(process.env.BERTH_LONG_TESTS));
const PUSHES = LONG ? 60 : 12;
const TIME_LIMIT_MS = 60_000;
/** longer than one push takes on a loaded CI machine (first blob to manifest) */
const GRACE_MS = 5_000;
const HOUR = 3_600_000;

describe('berth gc while pushes go on (old blobs re-linked)', function () {
  this.timeout(180_000);
  let config: Readonly<Config>;
  let srv: TestServer;
  let storage: StorageDriver;
  let storagePath: string;

  before(async () => {
    storagePath = tempDir('gc-live-store-');
    config = testConfig(`  lock_dir: ${tempDir('gc-live-locks-')}\n`, {}, storagePath);
    srv = await startTestServer(config);
    storage = createStorage(config);
  });
  after(async () => {
    await storage?.close();
    await srv?.stop();
  });

  it('no pushed image loses a blob', async () => {
    const api = v2Client(srv.url);
    const shared = await gzipLayer({ 'shared.txt': 'in every image\n' });
    // A blob nothing refers to, that pushes mount into their repository while gc wants it gone.
    const orphan = await gzipLayer({ 'orphan.txt': 'mounted from nowhere\n' });
    await api.pushBlob('donor/app', orphan.bytes);
    await api.pushBlob('donor/app', shared.bytes);
    // and one no push uses: gc must really sweep while the pushes go on
    await api.pushBlob('donor/app', (await gzipLayer({ 'doomed.txt': 'nothing mounts me\n' })).bytes);
    await age(storagePath, HOUR);

    const locks = new HostLocks(config.lock_dir);
    let stop = false;
    const reports: GcReport[] = [];
    const collector = (async () => {
      while (!stop) reports.push(await collectGarbage(storage, { graceMs: GRACE_MS, clockSlackMs: 50, locks }));
    })();

    const pushed: Array<{ repo: string; tag: string }> = [];
    const refused: string[] = [];
    const started = Date.now();
    try {
      for (let i = 0; i < PUSHES && Date.now() - started < TIME_LIMIT_MS; i++) {
        const own = await gzipLayer({ [`own-${i}.txt`]: `push ${i}\n` });
        const v2repo = `live/v2-${i}`;
        const v2error = await refusal(async () => {
          const layers = [shared, orphan, own];
          for (const l of layers) {
            const mounted = await api.call('POST', `/v2/${v2repo}/blobs/uploads/?mount=${l.digest}&from=donor/app`);
            if (mounted.status !== 201) await api.pushBlob(v2repo, l.bytes);
          }
          const imageConfig = Buffer.from(
            JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }),
          );
          const configDigest = await api.pushBlob(v2repo, imageConfig);
          const manifest = {
            schemaVersion: 2,
            mediaType: DOCKER_MANIFEST,
            config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: imageConfig.length, digest: configDigest },
            layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.bytes.length, digest: l.digest })),
          };
          const put = await api.putManifest(v2repo, 'latest', manifest, DOCKER_MANIFEST);
          if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${String(put.body)}`);
        });
        if (v2error) refused.push(`${v2repo}: ${v2error}`);
        else pushed.push({ repo: v2repo, tag: 'latest' });

        const v1repo = `live/v1-${i}`;
        const image = `${'f'.repeat(56)}${String(i).padStart(8, '0')}`;
        const v1error = await refusal(() => pushV1(srv.url, v1repo, image, own.bytes));
        if (v1error) refused.push(`${v1repo}: ${v1error}`);
        else pushed.push({ repo: v1repo, tag: 'latest' });
      }
    } finally {
      stop = true;
      await collector;
    }
    await srv.services.bridge?.idle();
    await collectGarbage(storage, { graceMs: 0, clockSlackMs: 50, locks });

    for (const { repo, tag } of pushed) {
      const pulled = await pullBoth(srv.url, repo, tag);
      assert.ok(pulled.length >= 1, `${repo}:${tag} pulls whole: ${pulled.join(', ')}`);
    }
    assert.ok(reports.length >= 3, `gc ran ${reports.length} times during the pushes`);
    assert.deepEqual(refused, [], 'no push is refused');
    assert.ok(pushed.length >= 4, `${pushed.length} pushes in the time limit`);
    const swept = reports.reduce((n, r) => n + r.freed.objects, 0);
    const spared = reports.reduce((n, r) => n + r.spared, 0);
    assert.ok(swept >= 1, 'gc swept the blob no push used while the pushes went on');
    console.log(`      ${pushed.length} pushes; gc ran ${reports.length} times, swept ${swept}, spared ${spared} as re-linked`);
  });
});

/** A push, once: null when it went through, else what the server answered the step it refused. */
async function refusal(push: () => Promise<void>): Promise<string | null> {
  try {
    await push();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** One V1 image (JSON, layer, checksum) and its tag, as Docker 1.x pushes it; throws what a refused step answered. */
async function pushV1(url: string, repo: string, id: string, layer: Buffer): Promise<void> {
  const engine = v1Engine(url);
  const json = v1Json(id, null);
  const token = { 'Content-Type': 'application/json', 'X-Docker-Token': 'true' };
  const step = async (what: string, expected: number, answer: Promise<{ status: number; body: unknown }>) => {
    const res = await answer;
    if (res.status !== expected) throw new Error(`${what}: ${res.status} ${String(res.body)}`);
  };
  await step('PUT index', 200, engine.call('PUT', `/v1/repositories/${repo}/`, { body: JSON.stringify([{ id, Tag: 'latest' }]), headers: token }));
  if ((await engine.call('GET', `/v1/images/${id}/json`)).status !== 200) {
    await step('PUT json', 200, engine.call('PUT', `/v1/images/${id}/json`, { body: json }));
    await step('PUT layer', 200, engine.call('PUT', `/v1/images/${id}/layer`, { body: layer }));
    await step('PUT checksum', 200, engine.call('PUT', `/v1/images/${id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(json, layer) } }));
  }
  await step('PUT tag', 200, engine.call('PUT', `/v1/repositories/${repo}/tags/latest`, { body: JSON.stringify(id) }));
  await step('PUT images', 204, engine.call('PUT', `/v1/repositories/${repo}/images`, { body: '[]', headers: token }));
}
