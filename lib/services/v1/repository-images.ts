/**
 * Whether a V1 image belongs to a repository. V1 image paths name no repository, so a token
 * the index handed out for one repository would otherwise open every image in the store; with
 * this question a token for `a/x` opens only the images of `a/x` (what docker-registry's token
 * mode had the external index decide; docker/docker-registry `docker_registry/toolkit.py`).
 *
 * An image belongs to a repository when the repository's index list names it (Docker 1.x
 * PUTs the whole list, base image first, before it uploads anything; the bridge writes it for
 * V2 pushes), or when it is in the ancestry of one of the repository's tags (stores whose
 * lists are missing, e.g. written in token mode against an external index).
 *
 * Yes-answers are remembered for a minute: a pull asks for every image of the chain three
 * times (json, ancestry, layer), and an image does not leave a repository in that time except
 * by a delete, which a minute-old answer can only let a reader finish.
 */
import type { RepositoryName } from '../../names/v1.js';
import type { StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v1 } from '../../storage/paths.js';
import type { TagService } from './tags.js';

const REMEMBER_MS = 60_000;
const MAX_REMEMBERED = 10_000;

export class RepositoryImages {
  private readonly known = new Map<string, number>();

  constructor(
    private readonly storage: StorageDriver,
    private readonly tags: TagService,
    private readonly now: () => number = Date.now,
  ) {}

  async contains(name: RepositoryName, id: string): Promise<boolean> {
    const key = `${name.namespace}/${name.repository}\0${id}`;
    const until = this.known.get(key);
    if (until !== undefined && until > this.now()) return true;
    this.known.delete(key);
    const found = (await this.listed(name, id)) || (await this.underATag(name, id));
    if (found) this.remember(key);
    return found;
  }

  private async listed(name: RepositoryName, id: string): Promise<boolean> {
    const list = await this.readJson(v1.indexImages(name.namespace, name.repository));
    return Array.isArray(list) && list.some((entry) => entry && typeof entry === 'object' && (entry as { id?: unknown }).id === id);
  }

  private async underATag(name: RepositoryName, id: string): Promise<boolean> {
    const tags = await this.tags.list(name).catch(() => ({}) as Record<string, string>);
    for (const top of new Set(Object.values(tags))) {
      if (top === id) return true;
      const ancestry = await this.readJson(v1.imageAncestry(top));
      if (Array.isArray(ancestry) && ancestry.includes(id)) return true;
    }
    return false;
  }

  private async readJson(path: string): Promise<unknown> {
    try {
      return JSON.parse((await this.storage.getContent(path)).toString('utf8'));
    } catch (err) {
      if (isNotFound(err) || err instanceof SyntaxError) return null;
      throw err;
    }
  }

  private remember(key: string): void {
    if (this.known.size >= MAX_REMEMBERED) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    this.known.set(key, this.now() + REMEMBER_MS);
  }
}
