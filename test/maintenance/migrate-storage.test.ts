/**
 * `migrateStorage`'s checkpoint names paths only: a checkpoint another migration left (the
 * default file is named by the flavors alone, so two migrations between flavors of the same
 * names share it) must not make a run skip objects its own target lacks.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { migrateStorage } from '../../lib/maintenance/migrate-storage.js';
import { exists, type StorageDriver } from '../../lib/storage/driver.js';
import { createStorage } from '../../lib/storage/factory.js';
import { tempDir, testConfig } from '../support/config.js';

describe('migrate-storage checkpoint', () => {
  const stores: StorageDriver[] = [];
  const store = () => {
    const s = createStorage(testConfig());
    stores.push(s);
    return s;
  };
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
  });

  it('a checkpoint of another target does not skip what this target lacks', async () => {
    const source = store();
    const objects = ['images/a/json', 'images/a/layer', 'repositories/library/app/tag_latest'];
    for (const p of objects) await source.putContent(p, `bytes of ${p}`);
    const checkpoint = path.join(tempDir('berth-migrate-ck-'), 'shared.checkpoint');

    const first = await migrateStorage(source, store(), { checkpoint });
    assert.equal(first.copied, objects.length);

    // Another target, the same checkpoint: every object still has to be copied there.
    const other = store();
    const second = await migrateStorage(source, other, { checkpoint });
    assert.equal(second.copied, objects.length, `copied ${second.copied}, skipped ${second.skipped}`);
    for (const p of objects) assert.ok(await exists(other, p), `${p} is in the second target`);
    assert.equal(second.target, objects.length);

    // Its own checkpoint, run again: nothing left to copy.
    const third = await migrateStorage(source, other, { checkpoint });
    assert.equal(third.copied, 0);
    assert.equal(third.skipped, objects.length);
  });
});
