/**
 * A V1 tag write against `berth gc` and against a layer upload, at the service level with the
 * interleavings set up step by step:
 *   - gc has set aside the JSON of an untagged chain (top and parent) and read the tags again
 *     when a tag PUT of the top lands: the whole chain gets its JSON back and stays;
 *   - a layer upload holds its image's lock while it runs: a tag PUT of that image, and one of
 *     another image of the same repository, answer meanwhile;
 *   - a tag write whose image lock was lost while it waited commits nothing.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { collectGarbage } from '../../../lib/maintenance/gc.js';
import { KeyedMutex } from '../../../lib/services/keyed-mutex.js';
import { LeaseFiles, Leases } from '../../../lib/services/leases.js';
import { type HeldLock, type Locks, lockLost } from '../../../lib/services/locks.js';
import { ImageService } from '../../../lib/services/v1/images.js';
import { TagService } from '../../../lib/services/v1/tags.js';
import { exists, type StorageDriver } from '../../../lib/storage/driver.js';
import { createStorage } from '../../../lib/storage/factory.js';
import { v1 } from '../../../lib/storage/paths.js';
import { tempDir, testConfig } from '../../support/config.js';

const PARENT = `${'d'.repeat(63)}1`;
const TOP = `${'d'.repeat(63)}2`;
const OTHER = `${'d'.repeat(63)}3`;
const NAME = { namespace: 'library', repository: 'chain' };
const HOUR = 3_600_000;

describe('V1 tag writes, gc and layer uploads', function () {
  this.timeout(30_000);
  let storage: StorageDriver;

  beforeEach(() => {
    storage = createStorage(testConfig());
  });
  afterEach(async () => {
    await storage.close();
  });

  async function storeImage(id: string, ancestry: string[]): Promise<void> {
    await storage.putContent(v1.imageJson(id), JSON.stringify({ id, parent: ancestry[1] }));
    await storage.putContent(v1.imageAncestry(id), JSON.stringify(ancestry));
    await storage.putContent(v1.imageLayer(id), `layer of ${id}`);
    await storage.putContent(v1.imageChecksum(id), '["sha256:00"]');
  }

  it('a tag written after gc read the tags again keeps the whole chain it reaches', async () => {
    await storeImage(PARENT, [PARENT]);
    await storeImage(TOP, [TOP, PARENT]);
    const locks = new KeyedMutex();
    const tags = new TagService(storage, locks);
    // gc takes each candidate's lock twice: to set its JSON aside, then to delete it once the
    // tags are read again. Before the first of those deletes, the tag PUT lands.
    const taken = new Map<string, number>();
    let tagged = false;
    const gcLocks: Locks = {
      async run(key, work) {
        taken.set(key, (taken.get(key) ?? 0) + 1);
        if (!tagged && taken.get(key) === 2) {
          tagged = true;
          assert.equal(await exists(storage, v1.imageJson(PARENT)), false, 'gc has set the parent’s JSON aside');
          await tags.put(NAME, 'latest', Buffer.from(JSON.stringify(TOP)), 'docker/1.6.0');
        }
        return locks.run(key, work);
      },
    };
    // every object older than the grace period: only the tag keeps the chain
    const report = await collectGarbage(storage, { graceMs: 0, now: () => Date.now() + HOUR, locks: gcLocks });
    assert.ok(tagged, 'the tag PUT ran between the set-aside and the delete');
    assert.equal(report.swept.v1Images, 0);
    for (const id of [TOP, PARENT]) assert.ok(await exists(storage, v1.imageJson(id)), `${id.slice(-1)} has its JSON`);
    assert.ok(await exists(storage, v1.imageLayer(PARENT)), 'the parent’s layer is still there');
    assert.equal(await tags.get(NAME, 'latest'), TOP);
  });

  it('a tag of an image whose parent gc already deleted is refused', async () => {
    await storeImage(TOP, [TOP, PARENT]);
    const tags = new TagService(storage, new KeyedMutex());
    await assert.rejects(tags.put(NAME, 'latest', Buffer.from(JSON.stringify(TOP)), 'docker/1.6.0'), { status: 404 });
    assert.equal(await exists(storage, v1.tag(NAME.namespace, NAME.repository, 'latest')), false);
  });

  it('tag PUTs of the same repository answer while a layer upload is slow', async () => {
    await storeImage(OTHER, [OTHER]);
    const locks = new KeyedMutex();
    const images = new ImageService(storage, locks, new Leases(new LeaseFiles(tempDir('berth-tag-leases-'))));
    const tags = new TagService(storage, locks);
    await images.putJson(TOP, Buffer.from(JSON.stringify({ id: TOP })));
    const body = new PassThrough();
    body.write('the first bytes of a slow layer');
    const upload = images.putLayer(TOP, body);
    await new Promise((r) => setTimeout(r, 50)); // the upload holds TOP's lock now
    const within = (p: Promise<void>, what: string) =>
      Promise.race([p, new Promise((_, reject) => setTimeout(() => reject(new Error(`${what} waited for the upload`)), 2000))]);
    await within(tags.put(NAME, 'pushing', Buffer.from(JSON.stringify(TOP)), 'docker/1.6.0'), 'the tag of the image being pushed');
    await within(tags.put(NAME, 'other', Buffer.from(JSON.stringify(OTHER)), 'docker/1.6.0'), 'the tag of another image');
    body.end();
    await upload;
    assert.deepEqual(await tags.list(NAME), { pushing: TOP, other: OTHER });
  });

  it('a tag write whose image lock was lost commits nothing', async () => {
    await storeImage(TOP, [TOP]);
    const inner = new KeyedMutex();
    const lost: HeldLock = {
      check: async () => {
        throw lockLost(TOP);
      },
    };
    const locks: Locks = { run: (key, work) => (key === TOP ? inner.run(key, () => work(lost)) : inner.run(key, work)) };
    const tags = new TagService(storage, locks);
    await assert.rejects(tags.put(NAME, 'latest', Buffer.from(JSON.stringify(TOP)), 'docker/1.6.0'), /expired while it was held/);
    assert.equal(await exists(storage, v1.tag(NAME.namespace, NAME.repository, 'latest')), false);
  });
});
