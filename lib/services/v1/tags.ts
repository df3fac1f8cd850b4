/**
 * V1 tags and repositories (docker/docker-registry `docker_registry/tags.py`): `tag_<tag>` files
 * holding an image id, tag metadata from the client's User-Agent, and whole-repository deletes.
 * Repositories written before docker-registry 0.8.1 (names quoted once) are found too.
 */
import { V1 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { pyJson } from '../../formats/py-json.js';
import { isImageId, type RepositoryName } from '../../names/v1.js';
import { exists, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { berth, v1, v1Pre081 } from '../../storage/paths.js';
import { unquoteStored } from '../../storage/py-quote.js';
import type { HeldLock, Locks } from '../locks.js';
import type { V1Hooks } from './hooks.js';
import { parseJsonBody } from './json-body.js';
import type { RepositoryListener } from './search.js';

export const DEFAULT_TAG_JSON = { arch: 'amd64', docker_go_version: null, docker_version: null, kernel: null, last_update: null, os: 'linux' };

export class TagService {
  constructor(
    private readonly storage: StorageDriver,
    private readonly locks: Locks,
    private readonly onRepository: RepositoryListener = () => {},
    private readonly hooks: V1Hooks = {},
  ) {}

  /** `{tag: id}` of a repository; 404 `Repository not found` when it has no directory. */
  async list(name: RepositoryName): Promise<Record<string, string>> {
    await this.hooks.settle?.(name);
    const { dir } = await this.repositoryDir(name);
    const entries = await this.storage.list(dir);
    const tags: Record<string, string> = {};
    await Promise.all(
      entries.map(async (path) => {
        const file = path.slice(dir.length + 1);
        if (!file.startsWith('tag_')) return;
        const id = (await this.storage.getContent(path)).toString('utf8').trim();
        // A `tag_<x>_json` metadata file of a tag named `_<x>` is not a tag (a quirk the old listing had).
        if (file.endsWith('_json') && !isImageId(id)) return;
        tags[unquoteStored(file.slice(4))] = id;
      }),
    );
    return tags;
  }

  async get(name: RepositoryName, tag: string): Promise<string> {
    try {
      return await this.read(name, tag);
    } catch (err) {
      // A tag another part of Berth is about to write (the bridge, from a V2 push) lands first.
      if (!(err instanceof RegistryError) || !this.hooks.settle) throw err;
      await this.hooks.settle(name, tag);
      return this.read(name, tag);
    }
  }

  private async read(name: RepositoryName, tag: string): Promise<string> {
    const { dir, legacy } = await this.repositoryDir(name).catch(() => {
      throw new RegistryError(V1.TAG_NOT_FOUND);
    });
    const path = legacy ? `${dir}/tag_${tag}` : v1.tag(name.namespace, name.repository, tag);
    try {
      return (await this.storage.getContent(path)).toString('utf8').trim();
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(V1.TAG_NOT_FOUND);
      throw err;
    }
  }

  async put(name: RepositoryName, tag: string, body: Buffer, userAgent: string): Promise<void> {
    const id = parseJsonBody(body, V1.INVALID_DATA);
    if (typeof id !== 'string') throw new RegistryError(V1.INVALID_DATA);
    if (!(await this.imageStored(id))) throw new RegistryError(V1.IMAGE_NOT_FOUND);
    const write = () => this.writeTag(name, tag, id, tagMetadata(userAgent));
    await (this.hooks.tagWrite ? this.hooks.tagWrite(name, tag, id, write) : write());
    this.onRepository('changed', name);
  }

  private async imageStored(id: string): Promise<boolean> {
    return (await exists(this.storage, v1.imageJson(id))) || (isImageId(id) && (await exists(this.storage, berth.gcSetAsideJson(id))));
  }

  /** A tag another part of Berth derives (the bridge, from a V2 tag): written without telling the hooks. */
  async putDerived(name: RepositoryName, tag: string, id: string): Promise<void> {
    await this.writeTag(name, tag, id, { ...DEFAULT_TAG_JSON, last_update: Math.floor(Date.now() / 1000) });
    this.onRepository('changed', name);
  }

  /** A derived tag's removal, without telling the hooks; absent already is fine. */
  async deleteDerived(name: RepositoryName, tag: string): Promise<void> {
    await this.deleteTag(name, tag).catch((err) => (err instanceof RegistryError && err.status === 404 ? undefined : Promise.reject(err)));
  }

  private async writeTag(name: RepositoryName, tag: string, id: string, meta: Record<string, unknown>): Promise<void> {
    const { namespace: ns, repository: repo } = name;
    await this.locks.run(`repo:${ns}/${repo}`, async (held) => {
      // `berth gc` sets aside the JSON of images nothing tagged (under each image's lock), reads
      // the tags again, then deletes what no tag reaches and has no JSON: every image of the
      // chain this tag will reach gets its JSON back first, one image's lock at a time.
      // (An image with its JSON needs no lock: gc's delete runs under the lock and spares it. The
      // window left, a gc setting one aside after this look and reading the tags again before
      // this tag lands, is in the README's gc section.)
      for (const ancestor of await this.ancestorsOf(id)) {
        if (!(await exists(this.storage, v1.imageJson(ancestor)))) await this.locks.run(ancestor, () => this.bringBack(ancestor));
      }
      const write = async (image?: HeldLock) => {
        await held.check();
        await image?.check();
        await this.storage.putContent(v1.tag(ns, repo, tag), id);
        const text = pyJson(meta);
        await this.storage.putContent(v1.tagJson(ns, repo, tag), text);
        if (tag === 'latest') await this.storage.putContent(v1.repositoryJson(ns, repo), text);
      };
      // A push in progress is never swept, and its layer upload holds the image's lock for as
      // long as it runs: the tag goes on without it (as the old registry tagged such an image).
      if (await exists(this.storage, v1.imageMark(id))) return write();
      await this.locks.run(id, async (image) => {
        await this.bringBack(id);
        await write(image);
      });
    });
  }

  /** The images below `id` in its ancestry (none when it has no sound one). */
  private async ancestorsOf(id: string): Promise<string[]> {
    const bytes = await this.storage.getContent(v1.imageAncestry(id)).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
    let ancestry: unknown = null;
    try {
      ancestry = JSON.parse(bytes?.toString('utf8') ?? 'null');
    } catch {
      // not JSON: no sound ancestry
    }
    if (!Array.isArray(ancestry) || ancestry[0] !== id) return [];
    return ancestry.slice(1).filter((a): a is string => typeof a === 'string' && isImageId(a));
  }

  /** Under the image's lock: its JSON back from where a gc set it aside; IMAGE_NOT_FOUND when the image is gone. */
  private async bringBack(id: string): Promise<void> {
    if (await exists(this.storage, v1.imageJson(id))) return;
    await this.storage.move(berth.gcSetAsideJson(id), v1.imageJson(id)).catch((err) => {
      throw isNotFound(err) ? new RegistryError(V1.IMAGE_NOT_FOUND) : err;
    });
  }

  async delete(name: RepositoryName, tag: string): Promise<void> {
    const write = () => this.deleteTag(name, tag);
    await (this.hooks.tagWrite ? this.hooks.tagWrite(name, tag, null, write) : write());
  }

  private async deleteTag(name: RepositoryName, tag: string): Promise<void> {
    const { namespace: ns, repository: repo } = name;
    await this.locks.run(`repo:${ns}/${repo}`, async () => {
      try {
        await this.storage.delete(v1.tag(ns, repo, tag));
      } catch (err) {
        if (isNotFound(err)) throw new RegistryError(V1.TAG_NOT_FOUND_NAMED, { args: [tag] });
        throw err;
      }
      // Metadata may be missing (data from before 0.6.6): that is not an error any more.
      await ignoreMissing(this.storage.delete(v1.tagJson(ns, repo, tag)));
      if (tag === 'latest') await ignoreMissing(this.storage.delete(v1.repositoryJson(ns, repo)));
    });
  }

  async tagJson(name: RepositoryName, tag: string): Promise<unknown> {
    return this.readJson(v1.tagJson(name.namespace, name.repository, tag));
  }

  async repositoryJson(name: RepositoryName): Promise<unknown> {
    return this.readJson(v1.repositoryJson(name.namespace, name.repository));
  }

  /** `{"access": "private"|"public"}`: the `_private` flag file (only an index can enforce it). */
  async properties(name: RepositoryName): Promise<{ access: 'private' | 'public' }> {
    return { access: (await exists(this.storage, v1.privateFlag(name.namespace, name.repository))) ? 'private' : 'public' };
  }

  async setProperties(name: RepositoryName, body: Buffer): Promise<void> {
    const parsed = parseJsonBody(body, V1.INVALID_DATA);
    const access = (parsed as { access?: unknown } | null)?.access;
    if (!parsed || typeof parsed !== 'object' || (access !== 'private' && access !== 'public')) throw new RegistryError(V1.INVALID_DATA);
    const flag = v1.privateFlag(name.namespace, name.repository);
    // Under the repository's lock: a delete of the directory must not land between the flag's
    // temp file and its rename.
    await this.locks.run(`repo:${name.namespace}/${name.repository}`, async () => {
      if (access === 'private') await this.storage.putContent(flag, '');
      else await ignoreMissing(this.storage.delete(flag));
    });
  }

  /** Every tag, then the whole repository directory (index images, flags). Images stay. */
  async deleteRepository(name: RepositoryName): Promise<void> {
    const { dir } = await this.repositoryDir(name);
    const tags = this.hooks.tagWrite ? Object.keys(await this.list(name).catch(() => ({}))) : [];
    await this.locks.run(`repo:${name.namespace}/${name.repository}`, async () => {
      await this.storage.delete(dir).catch((err) => {
        if (isNotFound(err)) throw new RegistryError(V1.REPOSITORY_NOT_FOUND);
        throw err;
      });
    });
    // The tags went with the directory: tell whoever follows them, tag by tag.
    for (const tag of tags) await this.hooks.tagWrite?.(name, tag, null, async () => {});
    this.onRepository('deleted', name);
  }

  /** The repository's directory: the 0.8.1+ name, else the name an older registry wrote. */
  private async repositoryDir(name: RepositoryName): Promise<{ dir: string; legacy: boolean }> {
    const current = v1.repository(name.namespace, name.repository);
    if (await exists(this.storage, current)) return { dir: current, legacy: false };
    const legacy = v1Pre081.repository(name.namespace, name.repository);
    if (legacy !== current && (await exists(this.storage, legacy))) return { dir: legacy, legacy: true };
    throw new RegistryError(V1.REPOSITORY_NOT_FOUND);
  }

  private async readJson(path: string): Promise<unknown> {
    try {
      return JSON.parse((await this.storage.getContent(path)).toString('utf8'));
    } catch (err) {
      if (isNotFound(err)) return DEFAULT_TAG_JSON;
      throw err;
    }
  }
}

/** `docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64` → tag metadata. */
export function tagMetadata(userAgent: string, now = Date.now()): Record<string, string | number> {
  const meta: Record<string, string | number> = { last_update: Math.floor(now / 1000) };
  for (const [, key, value] of userAgent.matchAll(/([^\s/]+)\/([^\s/]+)/g)) {
    const k = (key as string).toLowerCase();
    if (k === 'docker') meta.docker_version = value as string;
    else if (k === 'go') meta.docker_go_version = value as string;
    else if (k === 'arch' || k === 'kernel' || k === 'os') meta[k] = value as string;
  }
  return meta;
}

async function ignoreMissing(p: Promise<unknown>): Promise<void> {
  await p.catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
}
