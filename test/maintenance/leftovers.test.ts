/**
 * Crash leftovers (lib/maintenance/leftovers.ts and the drivers' `leftovers`): temp files of a
 * writer killed with kill -9 are reclaimed by the server's sweep as it starts, those of live
 * writers (this process, another worker) are kept; S3 multipart uploads on a real Ceph RGW and
 * Glance staging images on a real glance-api once nobody has fed them for the age.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { uploadPurgeJob } from '../../lib/jobs/upload-purge.js';
import { reclaimLeftovers } from '../../lib/maintenance/leftovers.js';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import { exists, type StorageDriver } from '../../lib/storage/driver.js';
import { GlanceDriver } from '../../lib/storage/drivers/glance.js';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { createStorage } from '../../lib/storage/factory.js';
import { GlanceApi } from '../../lib/storage/openstack/glance-api.js';
import { hostId, TEMP_PREFIX, tempName } from '../../lib/storage/writer-id.js';
import { loadYaml, tempDir, testConfig } from '../support/config.js';
import { startWriterProcess } from '../support/crashing-writer.js';
import { capturingLogger } from '../support/log-capture.js';
import { s3ConfigLines, sharedGlance, sharedRgw } from '../support/services.js';

const DAY = 86_400_000;
const BLOB = `docker/registry/v2/blobs/sha256/ab/ab${'0'.repeat(62)}/data`;
const tempsUnder = (root: string) => (readdirSync(root, { recursive: true }) as string[]).filter((p) => path.basename(p).startsWith(TEMP_PREFIX)).sort();

async function until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('crash leftovers on local storage', function () {
  this.timeout(60_000);

  it('the sweep at start reclaims the temp file of a writer killed with -9, and keeps those of live writers here and in another worker', async () => {
    const root = tempDir('berth-leftovers-');
    const storage = createStorage(testConfig('', {}, root));
    // A crash: a process writing a blob is killed mid-write; its temp file stays, hidden.
    const crashed = await startWriterProcess(root, BLOB);
    await crashed.crash();
    // A live writer in another worker process, and one in this process.
    const worker = await startWriterProcess(root, 'images/1111111111111111/layer');
    const here = await storage.writer('images/2222222222222222/layer');
    here.stream.write(Buffer.from('half a layer'));
    await new Promise((r) => setTimeout(r, 50));
    try {
      const before = tempsUnder(root);
      assert.equal(before.length, 3, before.join(', '));
      assert.equal(await exists(storage, BLOB), false, 'the leftover is hidden');

      const { log, lines } = capturingLogger();
      const job = uploadPurgeJob(storage, { uploadAgeSeconds: 3600, leftoverAgeSeconds: 86_400, intervalSeconds: 86_400 }, log);
      job.start();
      await until('the sweep at start has run', () => lines.some((l) => /crash leftover/.test(l.msg ?? '')));
      await job.stop();

      const reclaimed = lines.find((l) => /reclaimed 1 crash leftover\(s\), 1\.0 MiB/.test(l.msg ?? ''));
      assert.ok(reclaimed, JSON.stringify(lines));
      assert.deepEqual(reclaimed.names, [path.join(path.dirname(BLOB), path.basename(before.find((p) => p.includes('ab000')) as string))]);
      const after = tempsUnder(root);
      assert.equal(after.length, 2, after.join(', '));
      assert.ok(
        after.every((p) => p.startsWith('images/')),
        'the live writers keep theirs',
      );
      assert.equal(existsSync(path.join(root, 'docker')), false, 'the directories only the leftover kept are gone too');
      here.stream.end(Buffer.from(' and the rest'));
      await here.commit();
      assert.equal((await storage.getContent('images/2222222222222222/layer')).toString(), 'half a layer and the rest', 'a live write still commits');
    } finally {
      await worker.crash();
      await here.cancel();
    }
  });

  it("temp files of other hosts and of older versions go once untouched for the age; this process's own stay, and objects always do", async () => {
    const root = tempDir('berth-leftovers-');
    const storage = new CheckedDriver(new LocalDriver(root));
    const dir = path.join(root, 'images/3333333333333333');
    await mkdir(dir, { recursive: true });
    const old = new Date(Date.now() - 2 * DAY);
    const files = {
      otherHostOld: `${TEMP_PREFIX}0f0f0f0f0f0f.4242.0123456789ab.layer`,
      otherHostFresh: `${TEMP_PREFIX}0f0f0f0f0f0f.4243.0123456789ab.json`,
      unnamedOld: `${TEMP_PREFIX}ancestry.0123456789ab`,
      unnamedFresh: `${TEMP_PREFIX}_checksum.0123456789ab`,
      mine: tempName('json', hostId(), process.pid),
    };
    for (const name of Object.values(files)) await writeFile(path.join(dir, name), 'x');
    await utimes(path.join(dir, files.otherHostOld), old, old);
    await utimes(path.join(dir, files.unnamedOld), old, old);
    // This process's own, as old as it can be: written when the process started.
    const started = new Date(Date.now() - process.uptime() * 1000 + 1000);
    await utimes(path.join(dir, files.mine), started, started);
    const dry = await reclaimLeftovers(storage, { maxAgeMs: DAY, dryRun: true });
    assert.deepEqual(dry.map((l) => path.basename(l.name)).sort(), [files.otherHostOld, files.unnamedOld].sort());
    assert.equal(readdirSync(dir).length, 5, '--dry-run removes nothing');
    // Judged again as it is removed: one written to since it was found stays.
    const [revived] = ((await storage.leftovers?.({ maxAgeMs: DAY })) ?? []).filter((l) => l.name.endsWith(files.unnamedOld));
    await writeFile(path.join(dir, files.unnamedOld), 'y');
    await assert.rejects(revived?.remove() ?? Promise.reject(new Error('not found')), /written to meanwhile; kept/);
    await utimes(path.join(dir, files.unnamedOld), old, old);
    await reclaimLeftovers(storage, { maxAgeMs: DAY });
    assert.deepEqual(readdirSync(dir).sort(), [files.otherHostFresh, files.unnamedFresh, files.mine].sort());
    // An object is never a leftover, however old.
    await storage.putContent('images/3333333333333333/json', '{}');
    const json = path.join(dir, 'json');
    await utimes(json, old, old);
    await reclaimLeftovers(storage, { maxAgeMs: 0, now: Date.now() + DAY });
    assert.ok(existsSync(json));
    await rm(root, { recursive: true, force: true });
  });

  it('a bridge copy never moved under its digest goes once untouched for the age', async () => {
    const storage = new CheckedDriver(new LocalDriver(tempDir('berth-leftovers-')));
    const staging = `berth/bridge/staging/${randomUUID()}`;
    await storage.putContent(staging, 'gzip copy');
    assert.deepEqual(await reclaimLeftovers(storage, { maxAgeMs: DAY }), []);
    const [found] = await reclaimLeftovers(storage, { maxAgeMs: DAY, now: Date.now() + 2 * DAY });
    assert.equal(found?.kind, 'staging-object');
    assert.equal(found?.name, staging);
    assert.equal(await storage.list('berth').catch(() => null), null);
  });
});

describe('crash leftovers on S3 (Ceph RGW)', function () {
  this.timeout(120_000);
  let storage: StorageDriver;
  let raw: S3Client;
  let bucket: string;

  before(async function () {
    const rgw = await sharedRgw();
    if (!rgw) return this.skip();
    const { config } = loadYaml(`t:\n${await s3ConfigLines(rgw, 'berth-leftovers')}  storage_path: /registry\n`, 't');
    storage = createStorage(config);
    bucket = config.boto_bucket as string;
    raw = new S3Client({
      region: rgw.region,
      endpoint: rgw.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey },
    });
  });
  after(async () => {
    await storage?.close();
    raw?.destroy();
  });

  /** A multipart upload with one part, as a writer that died after its first part leaves it. */
  async function abandonedUpload(key: string): Promise<string> {
    const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    await raw.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(1024) }));
    return UploadId as string;
  }
  const uploads = async () => ((await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).map((u) => u.Key).sort();

  it('aborts multipart uploads under the store nobody has fed for the age; fresh ones and the rest of the bucket stay', async () => {
    const inStore = `registry/${BLOB}`;
    const outside = 'other-app/upload';
    const outsideId = await abandonedUpload(outside);
    await abandonedUpload(inStore);
    assert.deepEqual(await reclaimLeftovers(storage, { maxAgeMs: DAY }), [], 'a fresh upload may be a live writer');
    assert.deepEqual(await uploads(), [outside, inStore].sort());

    const later = await reclaimLeftovers(storage, { maxAgeMs: DAY, now: Date.now() + 2 * DAY });
    assert.equal(later.length, 1, JSON.stringify(later));
    assert.equal(later[0]?.kind, 'multipart-upload');
    assert.equal(later[0]?.size, 1024);
    assert.ok(later[0]?.name.startsWith(`${inStore} (multipart upload `), later[0]?.name);
    assert.equal(later[0]?.error, undefined);
    assert.deepEqual(await uploads(), [outside], 'only the store is swept');
    await raw.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: outside, UploadId: outsideId }));
  });
});

describe('crash leftovers on Glance', function () {
  this.timeout(120_000);

  it('deletes staging images of layer uploads never committed once untouched for the age, and sweeps the alternate too', async function () {
    const glance = await sharedGlance();
    if (!glance) return this.skip();
    const root = tempDir('berth-leftovers-alt-');
    const api = new GlanceApi(glance.url, null);
    const storage = new CheckedDriver(new GlanceDriver(api, new CheckedDriver(new LocalDriver(root))));
    const id = randomBytes(32).toString('hex');
    const staging = await api.create({ name: `docker-layer-staging-${id}`, docker_staging_id: id });
    // The alternate's temp file of a writer of this host that is gone.
    const crashed = await startWriterProcess(root, 'repositories/ns/app/tag_latest');
    await crashed.crash();
    try {
      const now = await reclaimLeftovers(storage, { maxAgeMs: DAY });
      assert.deepEqual(
        now.map((l) => l.kind),
        ['temp-file'],
        JSON.stringify(now),
      );
      assert.deepEqual(tempsUnder(root), []);
      const later = (await reclaimLeftovers(storage, { maxAgeMs: DAY, now: Date.now() + 2 * DAY })).filter((l) => l.name.includes(staging.id));
      assert.equal(later.length, 1);
      assert.match(later[0]?.name ?? '', /\(docker-layer-staging-[0-9a-f]+, queued\)$/);
      await assert.rejects(api.get(staging.id), /HTTP 404/);
    } finally {
      await api.delete(staging.id).catch(() => {});
    }
  });
});
