/**
 * The standalone index's image lists (`_index_images`; docker/docker-registry
 * `docker_registry/index.py`): the first PUT is stored as sent; later ones merge by id, an entry
 * with a checksum winning over one without.
 */
import { V1 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { pyJson } from '../../formats/py-json.js';
import type { RepositoryName } from '../../names/v1.js';
import type { StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v1 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';
import type { V1Hooks } from './hooks.js';
import { parseJsonBody } from './json-body.js';
import type { RepositoryListener } from './search.js';

interface IndexEntry {
  id: string;
  checksum?: string;
}

export class IndexImagesService {
  constructor(
    private readonly storage: StorageDriver,
    private readonly locks: Locks,
    private readonly onRepository: RepositoryListener = () => {},
    private readonly hooks: V1Hooks = {},
  ) {}

  async put(name: RepositoryName, body: Buffer): Promise<void> {
    const entries = parseJsonBody(body, V1.USER_JSON_INVALID);
    if (!Array.isArray(entries)) throw new RegistryError(V1.INVALID_DATA);
    const path = v1.indexImages(name.namespace, name.repository);
    await this.locks.run(`repo:${name.namespace}/${name.repository}`, async () => {
      const stored = await this.storage.getContent(path).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
      if (!stored) return void (await this.storage.putContent(path, body));
      const merged = new Map<string, IndexEntry>();
      for (const e of [...entries, ...(JSON.parse(stored.toString('utf8')) as unknown[])]) {
        if (!e || typeof e !== 'object' || typeof (e as IndexEntry).id !== 'string') continue;
        const { id, checksum } = e as IndexEntry;
        const earlier = merged.get(id);
        if (earlier?.checksum) continue;
        merged.set(id, checksum ? { id, checksum } : { id });
      }
      await this.storage.putContent(path, pyJson([...merged.values()]));
    });
    this.onRepository('changed', name);
  }

  async get(name: RepositoryName): Promise<Buffer> {
    await this.hooks.settle?.(name);
    try {
      return await this.storage.getContent(v1.indexImages(name.namespace, name.repository));
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(V1.INDEX_IMAGES_NOT_FOUND);
      throw err;
    }
  }
}
