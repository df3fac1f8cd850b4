/**
 * The mirror's blob records (lib/mirror/records.ts): a blob pushed or mounted here is local for
 * good, whichever comes first, the push or the end of a fetch of the same digest.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { parseDigest } from '../../lib/checksums/digest.js';
import { buildDeps } from '../../lib/deps.js';
import { MirrorRecords } from '../../lib/mirror/records.js';
import type { Locks } from '../../lib/services/locks.js';
import { testConfig } from '../support/config.js';
import { silentLogger } from '../support/server.js';

/** The records take the blob lock themselves only to touch; the order of the calls is what is tested. */
const inline: Locks = { run: (_key, work) => work({ check: async () => {} }) };
const someDigest = () => parseDigest(`sha256:${createHash('sha256').update(randomBytes(8)).digest('hex')}`) as NonNullable<ReturnType<typeof parseDigest>>;

describe('mirror: blob records', () => {
  const deps = buildDeps(testConfig(), silentLogger());
  const records = new MirrorRecords(deps.storage, inline);
  after(() => deps.storage.close());

  it('a push after the fetch makes the blob local; eviction sees no fetched blob', async () => {
    const digest = someDigest();
    await records.setBlob(digest, 1000);
    assert.equal((await records.blob(digest))?.local, false);
    await records.markLocal(digest);
    assert.equal((await records.blob(digest))?.local, true);
    await records.touch(digest);
    assert.equal((await records.blob(digest))?.local, true, 'a pull does not undo it');
  });

  it('a fetch that ends after the push does not make the blob a fetched one again', async () => {
    const digest = someDigest();
    await records.markLocal(digest);
    await records.setBlob(digest, 1000);
    assert.deepEqual(await records.blob(digest), { digest, size: 0, pulled: 0, local: true });
    assert.deepEqual(
      (await records.blobs()).filter((r) => r.digest.value === digest.value).map((r) => r.local),
      [true],
    );
  });
});
