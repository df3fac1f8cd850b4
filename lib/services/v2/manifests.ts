/**
 * Manifests: stored byte-exact as blobs under their digest, linked into the repository as a
 * revision, and named by tag links (registry:2 layout). Schema1 keeps only its canonical
 * payload and is signed on the way out; content negotiation follows distribution (serve the
 * stored type if accepted; by tag, an index may resolve to its linux/amd64 entry).
 */

import { type Digest, digestOf } from '../../checksums/digest.js';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { ManifestRef } from '../../names/v2.js';
import { deleteIfExists, exists, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { v2 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';
import { KeyedMutex } from '../keyed-mutex.js';
import { repositoryLinksLock } from '../store-locks.js';
import type { BlobStore } from './blobs.js';
import { readLink } from './blobs.js';
import type { V2Hooks } from './hooks.js';
import { ManifestCache } from './manifest-cache.js';
import { describeManifest, type ManifestInfo, MediaType, parseManifestJson } from './manifest-types.js';
import { schema1Payload, signSchema1 } from './schema1.js';
import type { SigningKey } from './signing-key.js';

/** distribution's limit; the spec asks for at least 4 MB */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface StoredManifest {
  digest: Digest;
  bytes: Buffer;
  info: ManifestInfo;
}

export interface ServedManifest {
  digest: Digest;
  mediaType: string;
  body: Buffer;
  /** a `Warning` header for the client (a pull-through cache serving without its upstream) */
  warning?: string;
}

export interface PutResult {
  digest: Digest;
  subject: Digest | null;
  tags: string[];
}

export class ManifestService {
  private readonly cache = new ManifestCache();

  constructor(
    private readonly storage: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly signingKey: SigningKey,
    private readonly hooks: V2Hooks = {},
    /** `v2_sparse_indexes`: accept an index whose manifests are not (yet) in the repository */
    private readonly sparseIndexes = false,
    private readonly locks: Locks = new KeyedMutex(),
  ) {}

  /**
   * Store a manifest and point its tags at it. `quiet` writes tags without telling the hooks:
   * for what a hook derives itself, which must not set it off again. `fetched`: a pull-through
   * cache's copy of its upstream's manifest, whose blobs and children come on demand.
   */
  async put(
    name: string,
    ref: ManifestRef,
    body: Buffer,
    contentType: string,
    extraTags: string[] = [],
    signal?: AbortSignal,
    options: { quiet?: boolean; fetched?: boolean } = {},
  ): Promise<PutResult> {
    const doc = parseManifestJson(body);
    let info = describeManifest(doc, contentType);
    let stored = body;
    if (info.kind === 'schema1') {
      // What is stored and served is the signed payload, not the body: every check is made on it.
      stored = schema1Payload(body, doc);
      info = describeManifest(parseManifestJson(stored), MediaType.schema1);
      if (info.name !== name) throw new RegistryError(V2.NAME_INVALID, { message: `manifest name ${info.name} does not match ${name}` });
      if (ref.kind === 'tag' && info.tag !== ref.tag) throw new RegistryError(V2.TAG_INVALID, { detail: { tag: info.tag, reference: ref.tag } });
    }
    const digest = digestOf(stored, ref.kind === 'digest' ? ref.digest.algorithm : 'sha256');
    if (ref.kind === 'digest' && digest.value !== ref.digest.value) {
      throw new RegistryError(V2.DIGEST_INVALID, { detail: { expected: ref.digest.value, actual: digest.value } });
    }
    // The check and the revision under the repository's links lock: `berth gc` takes it to find
    // revisions written since it started before it removes links to blobs nothing referred to.
    await this.locks.run(repositoryLinksLock(name), async () => {
      // A manifest the pull-through cache fetched is kept before its blobs are (they come on demand).
      if (!options.fetched) {
        const linked = await Promise.all(info.blobs.map((blob) => this.blobs.isLinked(name, blob, signal)));
        const missing = info.blobs.find((_, i) => !linked[i]);
        if (missing) throw new RegistryError(V2.MANIFEST_BLOB_UNKNOWN, { detail: { digest: missing.value } });
        if (!this.sparseIndexes) await this.requireChildren(name, info.children, signal);
      }
      // Data, then the revision, then what points at the revision: a reader never follows a link to nothing.
      await this.blobs.putSmall(digest, stored, signal);
      await this.storage.putContent(v2.revisionLink(name, digest), digest.value, signal);
      if (info.subject) await this.storage.putContent(v2.referrerLink(name, info.subject, digest), digest.value, signal);
    });
    const tags = [...new Set([...(ref.kind === 'tag' ? [ref.tag] : []), ...extraTags])];
    for (const tag of tags) {
      const write = async () => {
        // The current link first: a tag is listed once anything is under its directory, and a
        // process cut off between the two writes must leave a tag that pulls, not one that is
        // listed but unknown. The index (registry:2's record of a tag's past revisions) follows.
        await this.storage.putContent(v2.tagCurrent(name, tag), digest.value, signal);
        await this.storage.putContent(v2.tagIndexLink(name, tag, digest), digest.value, signal);
      };
      await (this.hooks.tagWrite && !options.quiet ? this.hooks.tagWrite(name, tag, digest, write) : write());
    }
    return { digest, subject: info.subject, tags };
  }

  /**
   * An index's manifests must be in this repository already, as distribution's verifyManifest
   * (registry/storage/manifestlisthandler.go) requires; clients push them first.
   */
  private async requireChildren(name: string, children: ManifestInfo['children'], signal?: AbortSignal): Promise<void> {
    const found = await Promise.all(children.map((c) => exists(this.storage, v2.revisionLink(name, c.digest), signal)));
    const missing = children.find((_, i) => !found[i]);
    if (missing) throw new RegistryError(V2.MANIFEST_BLOB_UNKNOWN, { detail: { digest: missing.digest.value } });
  }

  /** The digest a reference names in this repository; MANIFEST_UNKNOWN if none. */
  async resolve(name: string, ref: ManifestRef, signal?: AbortSignal): Promise<Digest> {
    const found = await this.find(name, ref, signal);
    if (found || ref.kind === 'digest' || !this.hooks.settle) return found ?? Promise.reject(manifestUnknown(name, ref));
    // A tag another part of Berth is about to write (the bridge, from a V1 push) lands first.
    await this.hooks.settle(name, ref.tag);
    return (await this.find(name, ref, signal)) ?? Promise.reject(manifestUnknown(name, ref));
  }

  private async find(name: string, ref: ManifestRef, signal?: AbortSignal): Promise<Digest | null> {
    const digest = ref.kind === 'tag' ? await readLink(this.storage, v2.tagCurrent(name, ref.tag), signal) : ref.digest;
    return digest && (await exists(this.storage, v2.revisionLink(name, digest), signal)) ? digest : null;
  }

  async load(name: string, digest: Digest, signal?: AbortSignal): Promise<StoredManifest> {
    const cached = this.cache.get(digest.value);
    if (cached) return cached;
    let bytes: Buffer;
    try {
      bytes = await this.blobs.getSmall(digest, signal);
    } catch (err) {
      if (isNotFound(err)) throw manifestUnknown(name, { kind: 'digest', digest });
      throw err;
    }
    const manifest = { digest, bytes, info: describeManifest(parseManifestJson(bytes)) };
    this.cache.set(manifest);
    return manifest;
  }

  /** GET/HEAD: negotiate with the client's Accept list (empty = anything). */
  async get(name: string, ref: ManifestRef, accept: Set<string>, signal?: AbortSignal): Promise<ServedManifest> {
    let manifest = await this.load(name, await this.resolve(name, ref, signal), signal);
    const listed = (type: string) => accept.size === 0 || accept.has('*/*') || accept.has(type);
    if (!listed(manifest.info.mediaType) && manifest.info.kind === 'index' && ref.kind === 'tag') {
      // An old client asking a multi-platform tag for one image: the linux/amd64 one, as distribution did.
      const entry = manifest.info.children.find((c) => c.platform?.os === 'linux' && c.platform?.architecture === 'amd64');
      if (entry && (await exists(this.storage, v2.revisionLink(name, entry.digest), signal))) manifest = await this.load(name, entry.digest, signal);
    }
    if (ref.kind === 'tag' && (accept.size === 0 || !listed(manifest.info.mediaType))) {
      // Another form stored beside it (the bridge's, of an image pushed over V1): OCI for a
      // client that lists OCI but not Docker's type; schema1 for one that lists neither, or
      // nothing at all (Docker 1.6–1.9 send no Accept). By digest, never (the bytes are the digest's).
      const other = await this.alternate(name, ref.tag, manifest.digest, accept);
      if (other) manifest = await this.load(name, other, signal);
    }
    if (manifest.info.kind === 'schema1') {
      // Nothing to convert a schema1 manifest to: it is served whatever the client listed.
      return { digest: manifest.digest, mediaType: MediaType.schema1Signed, body: signSchema1(manifest.bytes, await this.signingKey.get()) };
    }
    // Only OCI types must have been asked for, as in distribution v3: a Docker-era client gets
    // Docker's types whatever it lists (distribution v2 would have converted them to schema1).
    if (manifest.info.mediaType.startsWith('application/vnd.oci.') && !listed(manifest.info.mediaType)) {
      throw new RegistryError(V2.MANIFEST_UNKNOWN, {
        message: `manifest of type ${manifest.info.mediaType} found, but the Accept header does not include it`,
        detail: { mediaType: manifest.info.mediaType },
      });
    }
    return { digest: manifest.digest, mediaType: manifest.info.mediaType, body: manifest.bytes };
  }

  /** The stored alternate form of a manifest the client's Accept asks for rather than it, if any. */
  private async alternate(name: string, tag: string, digest: Digest, accept: Set<string>): Promise<Digest | null> {
    const forms = await this.hooks.alternates?.(name, tag, digest);
    if (!forms) return null;
    if (accept.has(MediaType.ociManifest) && !accept.has(MediaType.dockerManifest) && forms.oci) return forms.oci;
    const wantsSchema1 = accept.size === 0 || [MediaType.schema1Signed, MediaType.schema1, 'application/json'].some((t) => accept.has(t));
    return wantsSchema1 && !accept.has(MediaType.dockerManifest) ? (forms.schema1 ?? null) : null;
  }

  /** By tag: the tag goes. By digest: the revision, every tag pointing at it, and its referrer entry go. */
  async delete(name: string, ref: ManifestRef, signal?: AbortSignal): Promise<void> {
    if (ref.kind === 'tag') {
      if (!(await readLink(this.storage, v2.tagCurrent(name, ref.tag), signal))) throw manifestUnknown(name, ref);
      await this.deleteTag(
        name,
        ref.tag,
        () => {
          throw manifestUnknown(name, ref);
        },
        signal,
      );
      return;
    }
    const digest = await this.resolve(name, ref, signal);
    const subject = await this.load(name, digest, signal).then(
      (m) => m.info.subject,
      () => null,
    );
    for (const tag of await this.tags(name, signal).catch(() => [] as string[])) {
      const current = await readLink(this.storage, v2.tagCurrent(name, tag), signal);
      if (current?.value === digest.value) await this.deleteTag(name, tag, () => {}, signal);
    }
    if (subject) await deleteIfExists(this.storage, v2.referrerLink(name, subject, digest).replace(/\/link$/, ''), signal);
    // Two DELETEs of one digest at once: the one that finds nothing left answers 404.
    if (!(await deleteIfExists(this.storage, v2.revisionLink(name, digest).replace(/\/link$/, ''), signal))) throw manifestUnknown(name, ref);
  }

  private async deleteTag(name: string, tag: string, onGone: () => void, signal?: AbortSignal): Promise<void> {
    const write = async () => {
      if (!(await deleteIfExists(this.storage, v2.tag(name, tag), signal))) onGone();
    };
    await (this.hooks.tagWrite ? this.hooks.tagWrite(name, tag, null, write) : write());
  }

  /** Tag names, sorted; NAME_UNKNOWN when the repository does not exist at all. */
  async tags(name: string, signal?: AbortSignal): Promise<string[]> {
    await this.hooks.settle?.(name);
    try {
      const paths = await this.storage.list(v2.tags(name), signal);
      return paths.map((p) => p.slice(p.lastIndexOf('/') + 1)).sort();
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await this.storage.list(v2.repository(name), signal);
      return [];
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(V2.NAME_UNKNOWN, { detail: { name } });
      throw err;
    }
  }
}

function manifestUnknown(name: string, ref: ManifestRef): RegistryError {
  return new RegistryError(V2.MANIFEST_UNKNOWN, { detail: { name, reference: ref.kind === 'tag' ? ref.tag : ref.digest.value } });
}
