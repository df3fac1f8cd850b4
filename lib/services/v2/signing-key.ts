/**
 * The registry's P-256 key for schema1 signatures (distribution's
 * `compatibility.schema1.signingkeyfile`). It lives in storage, so every worker and every
 * instance on the same store signs with the same key; the first one to need it makes it.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { berth } from '../../storage/paths.js';

export class SigningKey {
  private loading: Promise<KeyObject> | null = null;

  constructor(private readonly storage: StorageDriver) {}

  get(): Promise<KeyObject> {
    this.loading ??= this.load().catch((err) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  private async load(): Promise<KeyObject> {
    try {
      return createPrivateKey(await this.storage.getContent(berth.schema1SigningKey));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await this.storage.putContent(berth.schema1SigningKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    // Another worker may have written its key at the same moment: use whichever landed.
    return createPrivateKey(await this.storage.getContent(berth.schema1SigningKey));
  }
}
