/**
 * The closing PUT of a V2 upload links the blob under the blob's lock, which `berth gc` takes
 * to delete a blob nothing links: with shared (Redis) locks, a holder whose blob lock expired
 * while it stalled must not link the blob over gc's work.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { digestOf } from '../../../lib/checksums/digest.js';
import { KeyedMutex } from '../../../lib/services/keyed-mutex.js';
import { type Locks, lockLost } from '../../../lib/services/locks.js';
import { blobLock } from '../../../lib/services/store-locks.js';
import { BlobStore } from '../../../lib/services/v2/blobs.js';
import { UploadService } from '../../../lib/services/v2/uploads.js';
import { exists } from '../../../lib/storage/driver.js';
import { createStorage } from '../../../lib/storage/factory.js';
import { v2 } from '../../../lib/storage/paths.js';
import { testConfig } from '../../support/config.js';

describe('V2 upload completion under a lost blob lock', () => {
  it('links nothing and keeps the session', async () => {
    const storage = createStorage(testConfig());
    try {
      const bytes = Buffer.from('a blob whose lock expired while its upload stalled');
      const digest = digestOf(bytes);
      const inner = new KeyedMutex();
      const locks: Locks = {
        run: (key, work) =>
          key === blobLock(digest)
            ? inner.run(key, () =>
                work({
                  check: async () => {
                    throw lockLost(key);
                  },
                }),
              )
            : inner.run(key, work),
      };
      const uploads = new UploadService(storage, new BlobStore(storage), locks);
      const started = await uploads.start('lost/lock');
      assert.equal(started.kind, 'session');
      const uuid = started.kind === 'session' ? started.uuid : '';
      await assert.rejects(uploads.complete('lost/lock', uuid, digest, Readable.from([bytes]), null), /expired while it was held/);
      assert.equal(await exists(storage, v2.layerLink('lost/lock', digest)), false, 'no link to the blob');
      assert.ok(await uploads.exists('lost/lock', uuid), 'the session is still there (a retry can finish it)');
    } finally {
      await storage.close();
    }
  });
});
