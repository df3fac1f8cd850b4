/**
 * `_catalog`: every V2 repository that has manifests, sorted, as registry:2 lists them (a
 * directory is a repository when it holds `_manifests`; uploads alone do not make one).
 */
import type { StorageDriver } from '../../storage/driver.js';
import { walkRepositories } from './repository-walk.js';

export class CatalogService {
  constructor(private readonly storage: StorageDriver) {}

  async repositories(signal?: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    for await (const repo of walkRepositories(this.storage, signal)) if (repo.parts.has('_manifests')) names.push(repo.name);
    return names.sort();
  }
}
