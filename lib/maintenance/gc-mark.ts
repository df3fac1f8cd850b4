/**
 * The mark phase of `berth gc`: every V1 image and V2 digest something live refers to, found by
 * streaming walks (store-walk.ts) into two sets of ids and digests; no manifest or image JSON is
 * held once it has been read, so memory grows with the number of live objects' names only.
 *
 * Roots, as distribution's `registry/storage/garbagecollect.go` MarkAndSweep takes them, widened
 * to both trees and the bridge:
 *   - every V1 tag, through its ancestry (or the chain of JSON parents);
 *   - every V1 push in progress (`_inprogress`) and every V1 image younger than the grace period;
 *   - every V2 tag's manifest, and every revision unless untagged manifests are to go (then only
 *     revisions younger than the grace period); manifests through their index children, their
 *     blobs (config, layers) and their `subject`; referrers of a kept manifest;
 *   - every `_layers` link younger than the grace period (a push between its blobs and its manifest);
 *   - the bridge: the OCI and schema1 forms of a bridged tag, a V2 blob that is a kept V1 image's
 *     layer (and the V1 image behind a kept blob alias).
 */
import { type Digest, parseDigest } from '../checksums/digest.js';
import { describeManifest, parseManifestJson } from '../services/v2/manifest-types.js';
import { walkRepositories } from '../services/v2/repository-walk.js';
import { listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { bridge, v2 } from '../storage/paths.js';
import { walkDirectories } from '../storage/walk.js';
import { baseName, linkFiles, modifiedAt, readOrNull, v1ImageIds, v1Tags } from './store-walk.js';

export interface MarkOptions {
  /** objects changed at or after this time (ms) are live whatever refers to them */
  cutoff: number;
  /** untagged manifests are not roots */
  untagged: boolean;
  signal?: AbortSignal | undefined;
  onItem?: ((what: string) => void) | undefined;
}

const IMAGE_ID = /^[a-f0-9]{64}$/;

export class Marks {
  readonly v1 = new Set<string>();
  readonly v2 = new Set<string>();
  /** every V2 repository's name (the sweep checks each one's links) */
  readonly repositories: string[] = [];
  /** V1 images and repositories seen, for the summary */
  images = 0;

  constructor(
    private readonly storage: StorageDriver,
    private readonly o: MarkOptions,
  ) {}

  async run(): Promise<void> {
    await this.v1Roots();
    await this.v2Roots();
    await this.bridgeRoots();
  }

  private async read(path: string): Promise<Buffer | null> {
    return readOrNull(this.storage, path, this.o.signal);
  }

  // --- V1 ---

  private async v1Roots(): Promise<void> {
    const { signal } = this.o;
    for await (const tag of v1Tags(this.storage, signal)) if (IMAGE_ID.test(tag.id)) await this.markImage(tag.id);
    for await (const id of v1ImageIds(this.storage, signal)) {
      this.images++;
      this.o.onItem?.(id);
      if (this.v1.has(id) || !IMAGE_ID.test(id)) continue;
      if (await this.imageIsLive(id)) await this.markImage(id);
    }
  }

  /** A push in progress, or an image written since the cutoff. */
  async imageIsLive(id: string): Promise<boolean> {
    const files = await listOrEmpty(this.storage, `images/${id}`, this.o.signal);
    if (files.length === 0) return false;
    if (files.some((f) => baseName(f) === '_inprogress')) return true;
    const changed = await Promise.all(files.map((f) => modifiedAt(this.storage, f, this.o.signal)));
    return changed.some((t) => t !== null && t >= this.o.cutoff);
  }

  /** An image and its ancestors: from its `ancestry` when that is sound, else through the JSON parents. */
  async markImage(id: string): Promise<void> {
    if (this.v1.has(id)) return;
    const ancestry = parseIdList(await this.read(`images/${id}/ancestry`));
    if (ancestry && ancestry[0] === id) {
      for (const a of ancestry) this.v1.add(a);
      return;
    }
    for (let cur: string | null = id; cur && !this.v1.has(cur); ) {
      this.v1.add(cur);
      cur = parentOf(await this.read(`images/${cur}/json`));
    }
  }

  // --- V2 ---

  private async v2Roots(): Promise<void> {
    const { signal } = this.o;
    for await (const repo of walkRepositories(this.storage, signal)) {
      const name = repo.name;
      this.repositories.push(name);
      this.o.onItem?.(v2.repository(name));
      for (const tagDir of await listOrEmpty(this.storage, v2.tags(name), signal)) {
        const digest = parseDigest((await this.read(`${tagDir}/current/link`))?.toString('utf8').trim());
        if (digest) await this.markManifest(digest);
      }
      for await (const link of linkFiles(this.storage, `${v2.repository(name)}/_manifests/revisions`, signal)) {
        if (!link.digest) continue;
        if (!this.o.untagged || (await this.young(link.path))) await this.markManifest(link.digest);
      }
      for await (const link of linkFiles(this.storage, `${v2.repository(name)}/_layers`, signal)) {
        if (link.digest && !this.v2.has(link.digest.value) && (await this.young(link.path))) this.v2.add(link.digest.value);
      }
      await this.markReferrers(name);
    }
  }

  /** Referrers of kept manifests are kept (and theirs, a few levels down). */
  async markReferrers(name: string): Promise<void> {
    for (let round = 0; round < 8; round++) {
      let added = false;
      for (const algDir of await listOrEmpty(this.storage, `${v2.repository(name)}/_referrers`, this.o.signal)) {
        for (const subjectDir of await listOrEmpty(this.storage, algDir, this.o.signal)) {
          const subject = `${baseName(algDir)}:${baseName(subjectDir)}`;
          if (!this.v2.has(subject)) continue;
          for await (const link of linkFiles(this.storage, subjectDir, this.o.signal)) {
            if (link.digest && !this.v2.has(link.digest.value)) {
              await this.markManifest(link.digest);
              added = true;
            }
          }
        }
      }
      if (!added) return;
    }
  }

  private async young(path: string): Promise<boolean> {
    const t = await modifiedAt(this.storage, path, this.o.signal);
    return t !== null && t >= this.o.cutoff;
  }

  /** A manifest, its blobs, the manifests it lists and its subject; read one at a time, held by digest only. */
  async markManifest(root: Digest): Promise<void> {
    const pending = [root];
    while (pending.length > 0) {
      const digest = pending.pop() as Digest;
      if (this.v2.has(digest.value)) continue;
      this.v2.add(digest.value);
      const bytes = await this.read(v2.blobData(digest));
      if (!bytes) continue;
      let info: ReturnType<typeof describeManifest>;
      try {
        info = describeManifest(parseManifestJson(bytes));
      } catch {
        continue; // not a manifest (verify reports it); it is kept, and refers to nothing
      }
      for (const blob of info.blobs) this.v2.add(blob.value);
      for (const child of info.children) pending.push(child.digest);
      if (info.subject) pending.push(info.subject);
    }
  }

  // --- the bridge ---

  private async bridgeRoots(): Promise<void> {
    const { signal } = this.o;
    // The other forms of a manifest a bridged tag shows.
    for await (const { path, children } of walkDirectories(this.storage, `${bridge.root}/alternates`, { signal })) {
      if (baseName(path) !== '_tags') continue;
      for (const file of children) {
        const forms = parseObject(await this.read(file));
        for (const key of ['of', 'oci', 'schema1']) {
          const digest = parseDigest(forms?.[key] as string | undefined);
          if (digest) await this.markManifest(digest);
        }
      }
    }
    // A kept blob whose bytes are a V1 layer keeps that image.
    for (const algDir of await listOrEmpty(this.storage, `${bridge.root}/blobs`, signal)) {
      for (const file of await listOrEmpty(this.storage, algDir, signal)) {
        if (!this.v2.has(`${baseName(algDir)}:${baseName(file)}`)) continue;
        const id = (await this.read(file))?.toString('utf8').trim();
        if (id && IMAGE_ID.test(id)) await this.markImage(id);
      }
    }
    // A kept V1 image keeps the V2 blob its layer is (a bridge-made image) or was made into (a gzip copy).
    for (const dir of [`${bridge.root}/v1-layers`, `${bridge.root}/layers`]) {
      for (const file of await listOrEmpty(this.storage, dir, signal)) {
        if (!this.v1.has(baseName(file))) continue;
        const record = parseObject(await this.read(file));
        const blob = record?.blob as { digest?: string } | undefined;
        const digest = parseDigest((record?.digest ?? blob?.digest) as string | undefined);
        if (digest) this.v2.add(digest.value);
      }
    }
  }
}

export function parseIdList(bytes: Buffer | null): string[] | null {
  if (!bytes) return null;
  try {
    const list = JSON.parse(bytes.toString('utf8')) as unknown;
    return Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === 'string' && IMAGE_ID.test(x)) ? (list as string[]) : null;
  } catch {
    return null;
  }
}

function parentOf(json: Buffer | null): string | null {
  const parent = parseObject(json)?.parent;
  return typeof parent === 'string' && IMAGE_ID.test(parent) ? parent : null;
}

function parseObject(bytes: Buffer | null): Record<string, unknown> | null {
  if (!bytes) return null;
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as unknown;
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
