import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { CreateBucketCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createMetrics } from '../../lib/metrics/registry.js';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import { type StorageDriver, writeFromStream } from '../../lib/storage/driver.js';
import { S3Driver } from '../../lib/storage/drivers/s3.js';
import { type S3Settings, s3Settings } from '../../lib/storage/drivers/s3-settings.js';
import { loadYaml } from '../support/config.js';
import { type S3Service, sharedRgw } from '../support/services.js';
import { describeDriverSuite, rejectsKind } from './driver-suite.js';
import { describeLegacyTree, LEGACY_TREES, treeFiles } from './legacy-tree.js';

/** A fresh bucket on the shared RGW, reached with the same settings a config.yml would give. */
async function s3Target(rgw: S3Service, prefix: string): Promise<{ driver: S3Driver; settings: S3Settings }> {
  const bucket = `berth-${randomBytes(6).toString('hex')}`;
  const { config } = loadYaml(
    `ceph:\n  storage: s3\n  boto_bucket: ${bucket}\n  boto_host: 127.0.0.1\n  boto_port: ${new URL(rgw.endpoint).port}\n` +
      `  s3_access_key: ${rgw.accessKey}\n  s3_secret_key: ${rgw.secretKey}\n  s3_secure: false\n  storage_path: ${prefix}\n`,
    'ceph',
  );
  const { settings } = s3Settings(config);
  if (!settings) throw new Error('bad s3 test config');
  const driver = new S3Driver(settings);
  await driver.client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { driver, settings };
}

describeDriverSuite(
  's3 (Ceph RGW)',
  async () => {
    const rgw = await sharedRgw();
    if (!rgw) return null;
    const { driver, settings } = await s3Target(rgw, '/registry');
    // Unfinished multipart uploads are invisible to listings (and billed): none may remain.
    const leftovers = async () => {
      const res = await driver.client.send(new ListMultipartUploadsCommand({ Bucket: settings.bucket }));
      return (res.Uploads ?? []).map((u) => `multipart upload of ${u.Key}`);
    };
    return { driver: new CheckedDriver(driver, createMetrics(false)), leftovers };
  },
  { big: true },
);

describeDriverSuite('s3 (Ceph RGW) at the bucket root', async () => {
  const rgw = await sharedRgw();
  if (!rgw) return null;
  return { driver: new CheckedDriver((await s3Target(rgw, '/')).driver) };
});

for (const version of LEGACY_TREES) {
  describeLegacyTree('s3 (Ceph RGW), uploaded as-is', version, async (): Promise<StorageDriver | null> => {
    const rgw = await sharedRgw();
    if (!rgw) return null;
    const { driver, settings } = await s3Target(rgw, '/registry');
    // Upload the tree key by key, as `aws s3 sync` of an old registry's storage_path would.
    const raw = new S3Client({
      region: 'us-east-1',
      endpoint: rgw.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey },
    });
    for (const [key, file] of treeFiles(version)) {
      await raw.send(new PutObjectCommand({ Bucket: settings.bucket, Key: `registry/${key}`, Body: readFileSync(file) }));
    }
    raw.destroy();
    return new CheckedDriver(driver);
  });
}

describe('s3 (Ceph RGW) specifics', function () {
  this.timeout(60_000);
  let driver: S3Driver | undefined;
  before(async function () {
    const rgw = await sharedRgw();
    if (!rgw) return this.skip();
    driver = (await s3Target(rgw, '/registry')).driver;
  });
  after(() => driver?.close());

  it('redirectUrl gives a presigned URL that serves the object', async () => {
    const d = driver as S3Driver;
    const body = randomBytes(4096);
    await d.putContent('images/abc/layer', body);
    const url = await d.redirectUrl('images/abc/layer');
    assert.ok(url?.startsWith('http://127.0.0.1:'), url ?? 'null');
    const res = await fetch(url as string);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), body);
    await d.delete('images');
  });

  it('redirectUrl of a missing object is not_found', async () => {
    await assert.rejects((driver as S3Driver).redirectUrl('images/missing/layer'), /path not found/);
  });
});

describe('s3 (Ceph RGW) failures', function () {
  this.timeout(60_000);
  let rgw: S3Service | null = null;
  before(async function () {
    rgw = await sharedRgw();
    if (!rgw) return this.skip();
  });

  it('a missing bucket is a driver failure (not an empty store), and a big write to it fails instead of hanging', async () => {
    const service = rgw as S3Service;
    const { config } = loadYaml(
      `x:\n  storage: s3\n  boto_bucket: no-such-bucket-${randomBytes(4).toString('hex')}\n  boto_host: 127.0.0.1\n  boto_port: ${new URL(service.endpoint).port}\n` +
        `  s3_access_key: ${service.accessKey}\n  s3_secret_key: ${service.secretKey}\n`,
      'x',
    );
    const d = new S3Driver(s3Settings(config).settings as S3Settings);
    try {
      await rejectsKind(d.getContent('images/x/json'), 'driver_failure');
      await rejectsKind(d.list('repositories'), 'driver_failure');
      // 64 MiB: several parts, so the upload fails while the writer is still being fed.
      const big = Readable.from(
        (function* () {
          for (let i = 0; i < 64; i++) yield randomBytes(1024 * 1024);
        })(),
      );
      await assert.rejects(writeFromStream(d, 'images/x/layer', big));
    } finally {
      await d.close();
    }
  });
});
