/**
 * The registry's P-256 key for schema1 signatures (distribution's
 * `compatibility.schema1.signingkeyfile`). It lives in storage, so every worker and every
 * instance on the same store signs with the same key; the first one to need it makes it, under
 * a lock, so that two that found none at once do not each keep their own.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { berth } from '../../storage/paths.js';
import type { Locks } from '../locks.js';

export class SigningKey {
  private loading: Promise<KeyObject> | null = null;

  constructor(
    private readonly storage: StorageDriver,
    private readonly locks: Locks,
  ) {}

  get(): Promise<KeyObject> {
    this.loading ??= this.load().catch((err) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  private async load(): Promise<KeyObject> {
    const stored = await this.stored();
    if (stored) return stored;
    return this.locks.run('schema1-signing-key', async (held) => {
      // Another process may have made it while this one waited for the lock.
      const made = await this.stored();
      if (made) return made;
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await held.check();
      await this.storage.putContent(berth.schema1SigningKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
      return privateKey;
    });
  }

  private async stored(): Promise<KeyObject | null> {
    try {
      return createPrivateKey(await this.storage.getContent(berth.schema1SigningKey));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}
