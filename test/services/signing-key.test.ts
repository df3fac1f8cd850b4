/**
 * The schema1 signing key lives in the store and is made by whichever process first needs it
 * (lib/services/v2/signing-key.ts). Two instances that both find none must end up signing with
 * the one key the store keeps, whatever order their writes land in.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { HostLocks } from '../../lib/services/host-lock.js';
import { SigningKey } from '../../lib/services/v2/signing-key.js';
import type { StorageDriver } from '../../lib/storage/driver.js';
import { MemoryDriver } from '../../lib/storage/drivers/memory.js';
import { berth } from '../../lib/storage/paths.js';
import { tempDir } from '../support/config.js';

/** A store whose first write of the key lands late (a slow request), after a second writer's. */
function slowFirstWrite(inner: MemoryDriver): StorageDriver {
  let writes = 0;
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'putContent') return Reflect.get(target, prop, receiver);
      return async (path: string, data: Buffer | string) => {
        if (path === berth.schema1SigningKey && writes++ === 0) await new Promise((r) => setTimeout(r, 150));
        return target.putContent(path, data);
      };
    },
  });
}

const publicPem = (key: import('node:crypto').KeyObject) => createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();

describe('schema1 signing key shared through the store', () => {
  it('two instances that both find no key sign with the one the store keeps', async () => {
    const store = new MemoryDriver();
    const storage = slowFirstWrite(store);
    const dir = tempDir();
    // Two instances: their own SigningKey, one lock service (lock_dir here; Redis between hosts).
    const [a, b] = [new SigningKey(storage, new HostLocks(dir)), new SigningKey(storage, new HostLocks(dir))];
    const [keyA, keyB] = await Promise.all([a.get(), b.get()]);
    const kept = createPublicKey((await store.getContent(berth.schema1SigningKey)).toString());
    assert.equal(publicPem(keyA), publicPem(keyB), 'both sign with the same key');
    assert.equal(publicPem(keyA), kept.export({ type: 'spki', format: 'pem' }).toString(), 'the one in the store');
  });
});
