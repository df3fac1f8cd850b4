import assert from 'node:assert/strict';
import { RegistryError } from '../../../lib/errors/registry-error.js';
import { createMetrics } from '../../../lib/metrics/registry.js';
import type { V1Services, V2Services } from '../../../lib/services/index.js';
import { UiService } from '../../../lib/services/ui/index.js';
import type { StorageDriver } from '../../../lib/storage/driver.js';
import { createStorage } from '../../../lib/storage/factory.js';
import { tempDir, testConfig } from '../../support/config.js';

/** A local store whose listings are counted: a walk of the store is a fixed number of them. */
function countedStore(): { storage: StorageDriver; lists: () => number } {
  const driver = createStorage(testConfig('', {}, tempDir('berth-ui-index-')), { metrics: createMetrics(false) });
  let lists = 0;
  const storage = new Proxy(driver, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== 'list' || typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        lists++;
        return value.apply(target, args);
      };
    },
  });
  return { storage, lists: () => lists };
}

const notFound = (e: unknown) => e instanceof RegistryError && e.status === 404;

describe('web page: looking up a repository (UiService over RepositoryIndex)', () => {
  it('concurrent lookups of unknown repositories share one walk of the store, and make at most one per freshness period', async () => {
    const { storage, lists } = countedStore();
    for (const name of ['alpha', 'beta', 'gamma']) await storage.putContent(`repositories/library/${name}/_index_images`, '[]');
    // A lookup reads the repository list alone; the protocols' services are not reached.
    const ui = new UiService(storage, {} as V1Services, {} as V2Services, null, null);
    const index = ui.repositories;
    assert.equal((await index.find('library/alpha'))?.name, 'library/alpha');
    const oneWalk = lists();
    assert.ok(oneWalk > 0);

    const misses = Array.from({ length: 20 }, (_, i) => assert.rejects(ui.repository(`library/unknown-${i}`, 1), notFound));
    await Promise.all(misses);
    assert.equal(lists(), 2 * oneWalk, '20 concurrent misses: one walk again, not 20');
    await assert.rejects(ui.tag('library/unknown-again', 'latest'), notFound);
    assert.equal(lists(), 2 * oneWalk, 'a miss within the freshness period walks no more');

    // Pushed since: a miss once the period is over walks again and finds it.
    await storage.putContent('repositories/library/delta/_index_images', '[]');
    assert.equal((await index.find('library/delta', Date.now() + 6_000))?.name, 'library/delta');
    assert.equal(lists(), 3 * oneWalk);
  });
});
