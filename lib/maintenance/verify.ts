/**
 * scripts/verify's work, an fsck of a store: every V1 payload checksum and every V2 blob digest
 * recomputed (or a sample of them), and the structure checked: image JSON and parents, ancestry
 * (against the chain the JSON parents give), tags that point at nothing, V2 links (layers,
 * revisions, tags, the bridge's blob aliases) whose target is gone, manifests whose blobs are,
 * stale `_inprogress` marks, abandoned V2 uploads and crash leftovers.
 *
 * With `repair`, only the fixes that cannot lose anything are made, as docker-registry's
 * `scripts/create_ancestry.py` made its one:
 *   - a missing `ancestry` is rebuilt from the JSON parents (when the whole chain is there);
 *   - a push abandoned longer than the upload age (a stale `_inprogress` mark) is dropped with
 *     what it had written, when no tag, child image or bridge alias refers to it: dropping the
 *     mark alone would make a half-pushed image look complete, and a client that re-pushes it
 *     would then be told "Image already exists" and skip it;
 *   - abandoned V2 uploads (purge-uploads.ts) and crash leftovers (leftovers.ts) are removed.
 * Everything else is listed for a person: a corrupt layer or blob, a dangling tag or link, a
 * wrong ancestry. Safe while the server runs: the repairs take the image's push lock (on this
 * host) and re-check what they found first.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type Digest, parseDigest } from '../checksums/digest.js';
import { parseStoredChecksums, payloadHasher } from '../checksums/payload.js';
import { tarsum, tarsumVersionOf } from '../checksums/tarsum.js';
import { pyJson } from '../formats/py-json.js';
import { isImageId } from '../names/v1.js';
import type { Locks } from '../services/host-lock.js';
import { describeManifest, parseManifestJson } from '../services/v2/manifest-types.js';
import { walkRepositories } from '../services/v2/repository-walk.js';
import { deleteIfExists, exists, listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';
import { bridge, IMAGES, v2 } from '../storage/paths.js';
import { reclaimLeftovers } from './leftovers.js';
import { purgeUploads } from './purge-uploads.js';
import { linkFiles, readOrNull, v1Tags, v2Blobs } from './store-walk.js';

export type FindingKind =
  | 'image-without-json'
  | 'json-invalid'
  | 'parent-missing'
  | 'ancestry-missing'
  | 'ancestry-broken'
  | 'layer-missing'
  | 'checksum-mismatch'
  | 'inprogress-stale'
  | 'tag-invalid'
  | 'tag-dangling'
  | 'blob-digest-mismatch'
  | 'link-invalid'
  | 'link-dangling'
  | 'manifest-invalid'
  | 'manifest-blob-missing'
  | 'upload-abandoned'
  | 'crash-leftover'
  | 'unreadable';

export interface Finding {
  kind: FindingKind;
  /** the object concerned (a storage path, `<repo>/<uuid>` for an upload, the backend's name for a leftover) */
  path: string;
  message: string;
  /** what --repair does about it: null, it needs a person; `repairable` (without --repair); `repaired`; `failed` (see error) */
  repair: 'repairable' | 'repaired' | 'failed' | null;
  error?: string;
}

export interface VerifyOptions {
  /** make the safe fixes */
  repair?: boolean;
  /** the share (0-1] of V1 checksums and V2 digests to recompute; the structure is always checked whole */
  sample?: number;
  /** V2 uploads and V1 pushes (`_inprogress`) untouched this long are abandoned (upload_purge_age) */
  uploadAgeMs: number;
  /** crash leftovers whose writer cannot be seen count as gone once untouched this long (leftover_age) */
  leftoverAgeMs: number;
  /** a mirror (`mirroring.source`): images without a layer and tags without an image are left to the source */
  mirror?: boolean;
  /** the push locks the server takes, so that a repair never races a push of the same image on this host */
  locks?: Locks;
  /** where repairs write (the server's cache-aware storage, so cached copies go too); default: `storage` */
  writer?: StorageDriver;
  now?: number;
  random?: () => number;
  signal?: AbortSignal;
  /** how many items (images, blobs, repositories) the run checks, once it knows */
  onTotal?: (n: number) => void;
  onItem?: (what: string) => void;
}

export interface VerifyReport {
  repair: boolean;
  sample: number;
  checked: {
    images: number;
    /** V1 checksums recomputed */
    checksums: number;
    /** complete V1 images without a `_checksum` (mirrored, or written before 0.7): nothing to compare with */
    withoutChecksum: number;
    v1Tags: number;
    blobs: number;
    /** V2 digests recomputed */
    digests: number;
    repositories: number;
    links: number;
    v2Tags: number;
  };
  findings: Finding[];
  /** findings --repair left (or would leave) for a person */
  remaining: number;
}

interface ImageFacts {
  id: string;
  files: Set<string>;
  json: 'missing' | 'invalid' | 'ok';
  parent: string | null;
  /** the stored ancestry; null when missing, 'invalid' when it is not a list of ids */
  ancestry: string[] | null | 'invalid';
  /** the `_inprogress` mark's last change (ms), null without one */
  markedAt: number | null;
  /** its layer (own, or the V2 blob a bridge-made image uses) is there */
  hasLayer: boolean;
  /** the sha256 of its own layer, when the checksum pass read it */
  layerSha256?: string;
}

const CONCURRENCY = 4;

/** An image's objects by the name its directory has in storage (never quoted again: a stray name is checked as it is). */
const image = {
  dir: (id: string) => `${IMAGES}/${id}`,
  json: (id: string) => `${IMAGES}/${id}/json`,
  layer: (id: string) => `${IMAGES}/${id}/layer`,
  ancestry: (id: string) => `${IMAGES}/${id}/ancestry`,
  checksum: (id: string) => `${IMAGES}/${id}/_checksum`,
  mark: (id: string) => `${IMAGES}/${id}/_inprogress`,
};
const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export async function verifyStore(storage: StorageDriver, options: VerifyOptions): Promise<VerifyReport> {
  return new Verifier(storage, options).run();
}

class Verifier {
  private readonly findings: Finding[] = [];
  private readonly checked: VerifyReport['checked'] = {
    images: 0,
    checksums: 0,
    withoutChecksum: 0,
    v1Tags: 0,
    blobs: 0,
    digests: 0,
    repositories: 0,
    links: 0,
    v2Tags: 0,
  };
  private readonly images = new Map<string, ImageFacts>();
  /** V1 ids a tag, a child's parent or a bridge alias refers to */
  private readonly referenced = new Set<string>();
  /** digests whose bytes are in storage (own data, or a bridge alias to a V1 layer) */
  private readonly present = new Set<string>();
  private readonly now: number;
  private readonly sample: number;
  private readonly writer: StorageDriver;

  constructor(
    private readonly storage: StorageDriver,
    private readonly o: VerifyOptions,
  ) {
    this.now = o.now ?? Date.now();
    this.sample = Math.min(Math.max(o.sample ?? 1, 0), 1);
    this.writer = o.writer ?? storage;
  }

  async run(): Promise<VerifyReport> {
    const { signal } = this.o;
    const ids = (await listOrEmpty(this.storage, IMAGES, signal)).map(base);
    const blobs = await this.blobInventory();
    const repositories: string[] = [];
    for await (const repo of walkRepositories(this.storage, signal)) repositories.push(repo.name);
    this.o.onTotal?.(ids.length + blobs.length + repositories.length);

    await this.each(
      ids,
      (id) => this.checkImage(id),
      (id) => image.dir(id),
    );
    await this.checkV1Tags();
    this.checkImageGraph();
    if (this.o.repair) await this.repairAncestry();
    await this.each(
      blobs,
      (b) => this.checkBlob(b),
      (b) => b.path,
    );
    await this.checkBridgeAliases();
    await this.each(
      repositories,
      (name) => this.checkRepository(name),
      (name) => v2.repository(name),
    );
    await this.checkStaleMarks();
    await this.checkUploads();
    await this.checkLeftovers();

    this.findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
    return {
      repair: this.o.repair ?? false,
      sample: this.sample,
      checked: this.checked,
      findings: this.findings,
      remaining: this.findings.filter((f) => f.repair !== 'repaired').length,
    };
  }

  private find(kind: FindingKind, path: string, message: string, repairable = false): Finding {
    const finding: Finding = { kind, path, message, repair: repairable ? 'repairable' : null };
    this.findings.push(finding);
    return finding;
  }

  /** Run `check` on every item, a few at a time; what fails to read is a finding, not the end of the run. */
  private async each<T>(items: T[], check: (item: T) => Promise<void>, pathOf: (item: T) => string): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        this.o.signal?.throwIfAborted();
        try {
          await check(item);
        } catch (err) {
          if (this.o.signal?.aborted) throw err;
          this.find('unreadable', pathOf(item), (err as Error).message);
        }
        this.o.onItem?.(pathOf(item));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  }

  private sampled(): boolean {
    return this.sample >= 1 || (this.o.random ?? Math.random)() < this.sample;
  }

  private read(path: string): Promise<Buffer | null> {
    return readOrNull(this.storage, path, this.o.signal);
  }

  private async reader(path: string): Promise<Readable> {
    return this.storage.reader(path, this.o.signal ? { signal: this.o.signal } : {});
  }

  // --- V1 ---

  private async checkImage(id: string): Promise<void> {
    const { signal } = this.o;
    const dir = image.dir(id);
    const files = new Set((await listOrEmpty(this.storage, dir, signal)).map(base));
    if (files.size === 0) return; // gone meanwhile, or only a temp file (a leftover)
    this.checked.images++;
    const facts: ImageFacts = { id, files, json: 'missing', parent: null, ancestry: null, markedAt: null, hasLayer: false };
    this.images.set(id, facts);
    if (files.has('_inprogress')) {
      facts.markedAt = await this.storage.stat(image.mark(id), signal).then(
        (s) => s.modTime.getTime(),
        (err) => (isNotFound(err) ? null : Promise.reject(err)),
      );
    }
    const json = files.has('json') ? await this.read(image.json(id)) : null;
    if (json) {
      const parsed = parseImageJson(json);
      if (!parsed || parsed.id !== id) {
        facts.json = 'invalid';
        this.find('json-invalid', image.json(id), parsed ? `its id is ${JSON.stringify(parsed.id)}, not ${id}` : 'not a JSON object');
      } else {
        facts.json = 'ok';
        facts.parent = typeof parsed.parent === 'string' && parsed.parent !== '' ? parsed.parent : null;
      }
    }
    if (files.has('ancestry')) {
      const raw = await this.read(image.ancestry(id));
      facts.ancestry = raw ? parseAncestry(raw) : null;
    }
    const layer = await this.layerOf(id, files);
    facts.hasLayer = layer !== null;
    if (facts.markedAt !== null) return; // a push not finished: its checksum is not settled yet
    if (facts.json === 'missing') {
      this.find('image-without-json', dir, `holds ${[...files].sort().join(', ')} but no json: no client can see it`);
      return;
    }
    if (facts.json === 'invalid') return;
    if (!layer) {
      if (!this.o.mirror) this.find('layer-missing', image.layer(id), 'a complete image without its layer: pulls of it fail');
      return;
    }
    const stored = files.has('_checksum') ? await this.read(image.checksum(id)) : null;
    const checksums = stored ? parseStoredChecksums(stored) : [];
    const payload = checksums.filter((c) => c.startsWith('sha256:'));
    const tarsums = checksums.filter((c) => tarsumVersionOf(c) !== null);
    if (payload.length === 0 && tarsums.length === 0) {
      this.checked.withoutChecksum++;
      return;
    }
    if (!this.sampled()) return;
    this.checked.checksums++;
    let computed: string | null;
    if (payload.length > 0) {
      // One read gives the payload checksum and the layer's own digest (what a bridge alias claims it is).
      const payloadHash = payloadHasher(json as Buffer);
      const plain = createHash('sha256');
      for await (const chunk of await this.reader(layer)) {
        payloadHash.update(chunk as Buffer);
        plain.update(chunk as Buffer);
      }
      computed = `sha256:${payloadHash.digest('hex')}`;
      if (layer === image.layer(id)) facts.layerSha256 = plain.digest('hex');
    } else {
      const version = tarsumVersionOf(tarsums[0] as string);
      computed = await tarsum(await this.reader(layer), json as Buffer, version ?? 'tarsum').catch(() => null);
    }
    const expected = payload.length > 0 ? payload : tarsums;
    if (computed === null || !expected.includes(computed)) {
      this.find(
        'checksum-mismatch',
        layer,
        `${computed ?? 'the layer is not a tar'} does not match the stored ${expected.join(', ')}: the layer or the JSON changed since the push`,
      );
    }
  }

  /** Where an image's layer is: its own, or the V2 blob the bridge made it from; null when neither is there. */
  private async layerOf(id: string, files: Set<string>): Promise<string | null> {
    if (files.has('layer')) return image.layer(id);
    const record = await this.read(bridge.v1Layer(id));
    if (!record) return null;
    let digest: Digest | null = null;
    try {
      digest = parseDigest((JSON.parse(record.toString('utf8')) as { digest?: string }).digest);
    } catch {
      // not JSON: no layer
    }
    if (!digest) return null;
    if (await exists(this.storage, v2.blobData(digest), this.o.signal)) return v2.blobData(digest);
    const alias = await this.read(bridge.blobAlias(digest));
    const source = alias ? image.layer(alias.toString('utf8').trim()) : null;
    return source && (await exists(this.storage, source, this.o.signal)) ? source : null;
  }

  /** `repositories/<ns>/<repo>/tag_<tag>` holding an image id that has no JSON. */
  private async checkV1Tags(): Promise<void> {
    for await (const { path: file, id } of v1Tags(this.storage, this.o.signal)) {
      this.checked.v1Tags++;
      this.referenced.add(id);
      if (!isImageId(id)) this.find('tag-invalid', file, `holds ${JSON.stringify(id.slice(0, 80))}, not an image id`);
      else if (this.images.get(id)?.json !== 'ok' && !this.o.mirror) this.find('tag-dangling', file, `points at image ${id}, which has no JSON`);
    }
  }

  /** Parents and ancestry, once every image's JSON is known. */
  private checkImageGraph(): void {
    for (const facts of this.images.values()) if (facts.parent) this.referenced.add(facts.parent);
    for (const facts of this.images.values()) {
      if (facts.json !== 'ok' || facts.markedAt !== null) continue;
      const { id, parent } = facts;
      if (parent && this.images.get(parent)?.json !== 'ok') {
        this.find('parent-missing', image.json(id), `its parent ${parent} has no JSON: pulls of it fail`);
      }
      const chain = this.chainOf(id);
      const path = image.ancestry(id);
      if (facts.ancestry === null) {
        if (chain) this.find('ancestry-missing', path, `missing; rebuilt from the JSON parents it is ${chainText(chain)}`, true);
        else this.find('ancestry-missing', path, 'missing, and the chain of JSON parents is broken, so it cannot be rebuilt');
      } else if (facts.ancestry === 'invalid' || facts.ancestry[0] !== id) {
        this.find('ancestry-broken', path, `is not a list of ids starting with ${id}`);
      } else if (chain && !sameList(chain, facts.ancestry)) {
        this.find('ancestry-broken', path, `is ${chainText(facts.ancestry)}; the JSON parents say ${chainText(chain)}`);
      }
    }
  }

  /** `[id, parent, …, base]` from the JSON parents; null when a link is missing or loops. */
  private chainOf(id: string): string[] | null {
    const chain = [id];
    for (let cur = this.images.get(id)?.parent ?? null; cur; cur = this.images.get(cur)?.parent ?? null) {
      if (chain.includes(cur) || this.images.get(cur)?.json !== 'ok') return null;
      chain.push(cur);
    }
    return chain;
  }

  /** Marks older than the upload age: the push was abandoned. Dropped (with the half image) when nothing refers to it. */
  private async checkStaleMarks(): Promise<void> {
    for (const facts of this.images.values()) {
      if (facts.markedAt === null || this.now - facts.markedAt <= this.o.uploadAgeMs) continue;
      const { id } = facts;
      const days = ((this.now - facts.markedAt) / 86_400_000).toFixed(1);
      const used = this.referenced.has(id);
      const finding = this.find(
        'inprogress-stale',
        image.mark(id),
        used
          ? `a push abandoned ${days} days ago, but a tag, a child image or a bridge alias refers to the image: push it again`
          : `a push abandoned ${days} days ago (${[...facts.files].sort().join(', ')}); --repair drops it`,
        !used,
      );
      if (this.o.repair && !used) {
        await this.repairing(finding, id, async () => {
          const mark = await this.storage.stat(image.mark(id), this.o.signal).catch(() => null);
          if (!mark || this.now - mark.modTime.getTime() <= this.o.uploadAgeMs) return; // taken up again meanwhile
          await deleteIfExists(this.writer, image.dir(id), this.o.signal);
        });
      }
    }
  }

  // --- V2 ---

  private async blobInventory(): Promise<Array<{ digest: Digest; path: string }>> {
    const found: Array<{ digest: Digest; path: string }> = [];
    for await (const blob of v2Blobs(this.storage, this.o.signal)) found.push(blob);
    return found;
  }

  private async checkBlob({ digest, path }: { digest: Digest; path: string }): Promise<void> {
    if (!(await exists(this.storage, path, this.o.signal))) return; // a directory a crash left without its data
    this.checked.blobs++;
    this.present.add(digest.value);
    if (!this.sampled()) return;
    this.checked.digests++;
    const actual = await this.hashOf(path, digest.algorithm);
    if (actual !== digest.hex) this.find('blob-digest-mismatch', path, `its bytes hash to ${digest.algorithm}:${actual}`);
  }

  private async hashOf(path: string, algorithm: Digest['algorithm']): Promise<string> {
    const hash = createHash(algorithm);
    for await (const chunk of await this.reader(path)) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }

  /** `berth/bridge/blobs/<alg>/<hex>`: a V2 blob whose bytes are a V1 layer. */
  private async checkBridgeAliases(): Promise<void> {
    const { signal } = this.o;
    for (const algDir of await listOrEmpty(this.storage, `${bridge.root}/blobs`, signal)) {
      for (const file of await listOrEmpty(this.storage, algDir, signal)) {
        const digest = parseDigest(`${base(algDir)}:${base(file)}`);
        if (!digest) continue;
        this.checked.links++;
        const id = ((await this.read(file)) ?? Buffer.alloc(0)).toString('utf8').trim();
        this.referenced.add(id);
        const facts = this.images.get(id);
        if (!facts?.files.has('layer')) {
          if (!this.present.has(digest.value)) this.find('link-dangling', file, `names the layer of V1 image ${JSON.stringify(id)}, which is not there`);
          continue;
        }
        this.present.add(digest.value);
        // The V2 blob is the V1 layer's bytes: they must still hash to its digest.
        let actual = digest.algorithm === 'sha256' ? facts.layerSha256 : undefined;
        if (actual === undefined && this.sampled()) actual = await this.hashOf(image.layer(id), digest.algorithm);
        if (actual === undefined) continue;
        this.checked.digests++;
        if (actual !== digest.hex)
          this.find('blob-digest-mismatch', image.layer(id), `is blob ${digest.value} to V2 clients (${file}), but hashes to ${digest.algorithm}:${actual}`);
      }
    }
  }

  private async checkRepository(name: string): Promise<void> {
    this.checked.repositories++;
    const layers = new Set<string>();
    for (const { path, digest } of await this.links(`${v2.repository(name)}/_layers`)) {
      if (!digest) continue;
      layers.add(digest.value);
      if (!this.present.has(digest.value)) this.find('link-dangling', path, `links blob ${digest.value}, whose data is gone`);
    }
    const revisions = new Set<string>();
    const indexes: Array<{ path: string; children: string[] }> = [];
    for (const { path, digest } of await this.links(`${v2.repository(name)}/_manifests/revisions`)) {
      if (!digest) continue;
      if (!this.present.has(digest.value)) {
        this.find('link-dangling', path, `links manifest ${digest.value}, whose data is gone`);
        continue;
      }
      revisions.add(digest.value);
      const children = await this.checkManifest(name, path, digest, layers);
      if (children.length > 0) indexes.push({ path, children });
    }
    // Children of an index are checked once every revision is known.
    for (const { path, children } of indexes) {
      for (const child of children) {
        if (!revisions.has(child)) this.find('manifest-blob-missing', path, `lists manifest ${child}, which ${name} does not hold`);
      }
    }
    for (const tagDir of await listOrEmpty(this.storage, v2.tags(name), this.o.signal)) {
      const tag = base(tagDir);
      this.checked.v2Tags++;
      const current = v2.tagCurrent(name, tag);
      const raw = await this.read(current);
      const digest = raw ? parseDigest(raw.toString('utf8').trim()) : null;
      if (!raw) {
        // No link at all: a crash while the tag's first link was written (reclaimed with the
        // crash leftovers), as for the directories links() passes over; an index without its
        // current link is a tag cut off otherwise.
        if ((await this.links(`${tagDir}/index`)).length > 0) this.find('tag-dangling', tagDir, 'has no current link');
      } else if (!digest) this.find('link-invalid', current, `holds ${JSON.stringify(raw.toString('utf8').slice(0, 80))}, not a digest`);
      else if (!revisions.has(digest.value)) this.find('tag-dangling', current, `points at manifest ${digest.value}, which ${name} does not hold`);
    }
  }

  /** A revision's manifest: it parses, and the blobs it needs are there and linked. Returns the manifests it lists (an index). */
  private async checkManifest(name: string, path: string, digest: Digest, layers: Set<string>): Promise<string[]> {
    const bytes = await this.read(v2.blobData(digest));
    if (!bytes) return []; // a manifest is never an alias; its data was checked with the blobs
    let info: ReturnType<typeof describeManifest>;
    try {
      info = describeManifest(parseManifestJson(bytes));
    } catch (err) {
      this.find('manifest-invalid', v2.blobData(digest), `linked as a manifest of ${name}, but ${(err as Error).message}`);
      return [];
    }
    for (const blob of info.blobs) {
      if (!this.present.has(blob.value)) this.find('manifest-blob-missing', path, `needs blob ${blob.value}, whose data is gone`);
      else if (!layers.has(blob.value)) this.find('manifest-blob-missing', path, `needs blob ${blob.value}, which is not linked into ${name}`);
    }
    return info.children.map((c) => c.digest.value);
  }

  /** `<dir>/<alg>/<hex>/link` files, each with the digest it holds (null, after a finding, when it holds something else). */
  private async links(dir: string): Promise<Array<{ path: string; digest: Digest | null }>> {
    const found: Array<{ path: string; digest: Digest | null }> = [];
    for await (const { path, named, digest, raw } of linkFiles(this.storage, dir, this.o.signal)) {
      this.checked.links++;
      if (!digest) this.find('link-invalid', path, `holds ${JSON.stringify(raw.slice(0, 80))}, not ${named}`);
      found.push({ path, digest });
    }
    return found;
  }

  // --- uploads and leftovers ---

  private async checkUploads(): Promise<void> {
    const dryRun = !this.o.repair;
    const purged = await purgeUploads(this.storage, this.o.uploadAgeMs, { now: this.now, dryRun, ...(this.o.signal ? { signal: this.o.signal } : {}) });
    for (const session of purged) {
      const finding = this.find('upload-abandoned', session, 'a V2 upload session older than the upload age', true);
      if (!dryRun) finding.repair = 'repaired';
    }
  }

  private async checkLeftovers(): Promise<void> {
    const dryRun = !this.o.repair;
    for (const l of await reclaimLeftovers(this.storage, { maxAgeMs: this.o.leftoverAgeMs, now: this.now, dryRun, signal: this.o.signal })) {
      const size = l.size === null ? '' : `, ${l.size} bytes`;
      const finding = this.find('crash-leftover', l.name, `${l.kind}${size}: ${l.reason}`, true);
      if (!dryRun) {
        finding.repair = l.error === undefined ? 'repaired' : 'failed';
        if (l.error !== undefined) finding.error = l.error;
      }
    }
  }

  // --- repairs ---

  /** Rebuild the missing ancestry files the findings name (once every image is known: the chains are). */
  private async repairAncestry(): Promise<void> {
    for (const finding of this.findings) {
      if (finding.kind !== 'ancestry-missing' || finding.repair !== 'repairable') continue;
      const id = base(finding.path.slice(0, -'/ancestry'.length));
      const chain = this.chainOf(id);
      if (!chain) continue;
      await this.repairing(finding, id, async () => {
        if (await exists(this.storage, image.ancestry(id), this.o.signal)) return; // written meanwhile
        await this.writer.putContent(image.ancestry(id), pyJson(chain), this.o.signal);
      });
    }
  }

  private async repairing(finding: Finding, id: string, fix: () => Promise<void>): Promise<void> {
    try {
      await (this.o.locks ? this.o.locks.run(id, fix) : fix());
      finding.repair = 'repaired';
    } catch (err) {
      if (this.o.signal?.aborted) throw err;
      finding.repair = 'failed';
      finding.error = (err as Error).message;
    }
  }
}

function parseImageJson(bytes: Buffer): { id?: unknown; parent?: unknown } | null {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as unknown;
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { id?: unknown; parent?: unknown }) : null;
  } catch {
    return null;
  }
}

function parseAncestry(bytes: Buffer): string[] | 'invalid' {
  try {
    const list = JSON.parse(bytes.toString('utf8')) as unknown;
    return Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === 'string') ? (list as string[]) : 'invalid';
  } catch {
    return 'invalid';
  }
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function chainText(chain: string[]): string {
  const short = (id: string) => id.slice(0, 12);
  return chain.length <= 4
    ? `[${chain.map(short).join(', ')}]`
    : `[${chain.slice(0, 2).map(short).join(', ')}, … ${chain.length - 3} more, ${short(chain.at(-1) as string)}]`;
}
