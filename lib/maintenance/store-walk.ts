/**
 * The walks over a store's trees that the maintenance tools share (verify, gc, dump-repos),
 * each an async generator that lists one directory at a time, so a run over a large store
 * holds one directory listing, never the whole tree.
 */
import { type Digest, parseDigest } from '../checksums/digest.js';
import { listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';
import { IMAGES, REPOSITORIES, V2_ROOT } from '../storage/paths.js';
import { unquoteStored } from '../storage/py-quote.js';

export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The id of every `images/<id>` directory (as stored: a stray name comes as it is). */
export async function* v1ImageIds(storage: StorageDriver, signal?: AbortSignal): AsyncGenerator<string> {
  for (const dir of await listOrEmpty(storage, IMAGES, signal)) yield baseName(dir);
}

export interface V1TagFile {
  /** `repositories/<ns>/<repo>/tag_<tag>` */
  path: string;
  /** namespace and repository as a client names them */
  namespace: string;
  repository: string;
  tag: string;
  /** what the file holds, trimmed (an image id, unless the store is damaged) */
  id: string;
}

/** Every `tag_<tag>` file of every V1 repository, with the id it holds (`tag<x>_json` metadata is skipped). */
export async function* v1Tags(storage: StorageDriver, signal?: AbortSignal): AsyncGenerator<V1TagFile> {
  for (const nsDir of await listOrEmpty(storage, REPOSITORIES, signal)) {
    for (const repoDir of await listOrEmpty(storage, nsDir, signal)) {
      for (const file of await listOrEmpty(storage, repoDir, signal)) {
        const name = baseName(file);
        if (!name.startsWith('tag_')) continue;
        const raw = await readOrNull(storage, file, signal);
        if (raw === null) continue;
        const id = raw.toString('utf8').trim();
        // `tag_<x>_json` is the metadata of a tag named `_<x>`, unless it holds an id (a tag named `<x>_json`).
        if (name.endsWith('_json') && !/^[a-f0-9]{64}$/.test(id)) continue;
        yield { path: file, namespace: unquoteStored(baseName(nsDir)), repository: unquoteStored(baseName(repoDir)), tag: name.slice(4), id };
      }
    }
  }
}

/** Every `docker/registry/v2/blobs/<alg>/<xx>/<hex>` directory, as its digest and data path. */
export async function* v2Blobs(storage: StorageDriver, signal?: AbortSignal): AsyncGenerator<{ digest: Digest; path: string }> {
  for (const algDir of await listOrEmpty(storage, `${V2_ROOT}/blobs`, signal)) {
    for (const prefixDir of await listOrEmpty(storage, algDir, signal)) {
      for (const hexDir of await listOrEmpty(storage, prefixDir, signal)) {
        const digest = parseDigest(`${baseName(algDir)}:${baseName(hexDir)}`);
        if (digest) yield { digest, path: `${hexDir}/data` };
      }
    }
  }
}

export interface LinkFile {
  path: string;
  /** what the link's directory names (`<alg>/<hex>`) */
  named: string;
  /** the digest the file holds; null when it holds something else */
  digest: Digest | null;
  /** what it holds, as text (for a finding) */
  raw: string;
}

/** `<dir>/<alg>/<hex>/link` files (a repository's `_layers`, `_manifests/revisions`, a referrers directory). */
export async function* linkFiles(storage: StorageDriver, dir: string, signal?: AbortSignal): AsyncGenerator<LinkFile> {
  for (const algDir of await listOrEmpty(storage, dir, signal)) {
    for (const hexDir of await listOrEmpty(storage, algDir, signal)) {
      const path = `${hexDir}/link`;
      const raw = await readOrNull(storage, path, signal);
      if (raw === null) continue; // a directory without its link (a crash mid-write): nothing points anywhere
      const text = raw.toString('utf8').trim();
      const named = `${baseName(algDir)}:${baseName(hexDir)}`;
      const digest = parseDigest(text);
      yield { path, named, digest: digest?.value === named ? digest : null, raw: text };
    }
  }
}

export async function readOrNull(storage: StorageDriver, path: string, signal?: AbortSignal): Promise<Buffer | null> {
  return storage.getContent(path, signal).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
}

/** An object's last change (ms), null when it is not there. */
export async function modifiedAt(storage: StorageDriver, path: string, signal?: AbortSignal): Promise<number | null> {
  return storage.stat(path, signal).then(
    (s) => s.modTime.getTime(),
    (err) => (isNotFound(err) ? null : Promise.reject(err)),
  );
}
