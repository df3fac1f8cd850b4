/** Where an upload's bytes go when it completes (lib/services/v2/upload-data.ts), both ways: appended in place, and in parts. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { digestOf } from '../../../lib/checksums/digest.js';
import { BlobStore } from '../../../lib/services/v2/blobs.js';
import { uploadData } from '../../../lib/services/v2/upload-data.js';
import type { StorageDriver } from '../../../lib/storage/driver.js';
import { LocalDriver } from '../../../lib/storage/drivers/local.js';
import { MemoryDriver } from '../../../lib/storage/drivers/memory.js';
import { tempDir } from '../../support/config.js';

const WAYS: Array<[label: string, make: () => StorageDriver]> = [
  ['appended in place (local disk)', () => new LocalDriver(tempDir())],
  ['in parts (a driver that cannot append)', () => new MemoryDriver()],
];

describe('V2 upload data', () => {
  for (const [label, make] of WAYS) {
    it(`${label}: a digest that only an alias stands for gets the uploaded bytes under its own key`, async () => {
      const storage = make();
      // The alias names an object whose bytes are not the digest's (as a V1 layer re-sent before its checksum could leave one).
      await storage.putContent('elsewhere/object', Buffer.from('not the uploaded bytes'));
      const blobs = new BlobStore(storage, { blobAlias: async () => 'elsewhere/object' });
      const data = uploadData(storage, blobs);
      const body = Buffer.from('the uploaded bytes');
      const digest = digestOf(body);
      const uuid = randomUUID();
      await data.write('up/load', uuid, 0, Readable.from([body]), null);
      assert.deepEqual(await data.assemble('up/load', uuid, digest), { digest, size: body.length });
      assert.ok(await blobs.hasOwnData(digest));
      assert.ok((await buffer(await blobs.openData(digest))).equals(body));
    });
  }
});
