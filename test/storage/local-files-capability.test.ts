/**
 * nginx_x_accel_redirect needs objects that are plain files under storage_path. The driver says
 * so in its capabilities, and every wrapper createStorage puts around it passes that on.
 */
import assert from 'node:assert/strict';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import type { StorageDriver } from '../../lib/storage/driver.js';
import { MemoryDriver } from '../../lib/storage/drivers/memory.js';
import { RedisTtlCacheDriver } from '../../lib/storage/drivers/redis-ttl-cache.js';
import { createStorage } from '../../lib/storage/factory.js';
import { loadYaml, tempDir, testConfig } from '../support/config.js';
import { silentLogger } from '../support/server.js';
import { freePort } from '../support/services.js';

const servesLocalFiles = (driver: StorageDriver) => driver.capabilities.localFiles;

describe('storage: which drivers serve local files (nginx_x_accel_redirect)', () => {
  it('local storage does, as built by createStorage', async () => {
    const storage = createStorage(testConfig());
    try {
      assert.equal(servesLocalFiles(storage), true);
    } finally {
      await storage.close();
    }
  });

  it('local storage behind the cache_lru Redis TTL cache does', async () => {
    // Nothing listens on the port: the cache only misses, and the capability is the question.
    const config = testConfig(`  cache_lru:\n    host: 127.0.0.1\n    port: ${await freePort()}\n`);
    const storage = createStorage(config, { log: silentLogger() });
    try {
      assert.ok(storage instanceof CheckedDriver && storage.inner instanceof RedisTtlCacheDriver, 'the cache wraps the local driver');
      assert.equal(servesLocalFiles(storage), true);
    } finally {
      await storage.close();
    }
  });

  it('Glance does not, even with a local storage_alternate', async () => {
    const { config } = loadYaml(`g:\n  storage: glance\n  glance_url: http://127.0.0.1:9\n  storage_alternate: file\n  storage_path: ${tempDir()}\n`, 'g');
    const storage = createStorage(config);
    try {
      assert.equal(servesLocalFiles(storage), false);
    } finally {
      await storage.close();
    }
  });

  it('memory does not, checked or not', () => {
    assert.equal(servesLocalFiles(new MemoryDriver()), false);
    assert.equal(servesLocalFiles(new CheckedDriver(new MemoryDriver())), false);
  });
});
