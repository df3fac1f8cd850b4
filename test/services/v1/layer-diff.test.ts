/** The `/diff` of an image (lib/services/v1/layer-diff.ts), without HTTP or Redis; test/api/v1-diff.test.ts runs it end to end. */
import assert from 'node:assert/strict';
import type { RedisCache } from '../../../lib/cache/redis-cache.js';
import type { ImageService } from '../../../lib/services/v1/images.js';
import { DiffService, diffLayers } from '../../../lib/services/v1/layer-diff.js';
import type { StorageDriver } from '../../../lib/storage/driver.js';
import { driverFailure, notFound } from '../../../lib/storage/errors.js';

const A = 'da'.repeat(32);

describe("diff classification (docker-registry's layers.py get_image_diff_json)", () => {
  it('deleted, changed against the nearest ancestor that has the path, created otherwise', () => {
    const e = (p: string, deleted = false): [string, string, boolean, number, number, number, number, number] => [p, 'f', deleted, 1, 0, 420, 0, 0];
    const diff = diffLayers([e('/x'), e('/y', true), e('/z'), e('/w')], [[e('/w', true)], [e('/x'), e('/w')]]);
    assert.deepEqual(Object.keys(diff.changed), ['/x']);
    assert.deepEqual(Object.keys(diff.deleted), ['/y']);
    assert.deepEqual(Object.keys(diff.created).sort(), ['/w', '/z'], 'deleted in the nearest ancestor: created again');
  });
});

describe('DiffService.get', () => {
  it('queues only a missing diff; a storage failure is an error, not an empty diff', async () => {
    const queued: string[] = [];
    const cache = {
      pushCapped: async (_list: string, value: string) => {
        queued.push(value);
        return true;
      },
    } as unknown as RedisCache;
    const failing = {
      getContent: async (p: string) => {
        throw driverFailure('test', p, new Error('disk on fire'));
      },
    } as unknown as StorageDriver;
    const missing = {
      getContent: async (p: string) => {
        throw notFound('test', p);
      },
    } as unknown as StorageDriver;
    const images = {} as ImageService;
    await assert.rejects(new DiffService(failing, images, cache).get(A), /disk on fire/);
    assert.deepEqual(queued, []);
    assert.equal(await new DiffService(missing, images, cache).get(A), null);
    assert.deepEqual(queued, [JSON.stringify(A)]);
  });
});
