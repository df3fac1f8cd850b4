/**
 * `berth gc`: mark (gc-mark.ts) and sweep over both trees of one store, safe while the server
 * takes pushes. What it never sweeps:
 *   - anything changed less than the grace period before the run began, or during the run (a
 *     push in flight: its blobs before its manifest, its image before its tag);
 *   - a V1 push in progress (`_inprogress`) and the images it builds on; V2 upload sessions
 *     (`_uploads`, purge-uploads' business) are not touched at all;
 *   - a candidate that something re-linked meanwhile: each V2 blob is checked again just before
 *     it goes, under the lock an upload, a mount or the bridge holds while it links a blob (a
 *     blob stored before and linked again leaves a stamp, berth/gc/linked/, gc spares), and a
 *     repository's links are removed under the lock a manifest PUT holds while it checks its
 *     blobs, after the revisions written since the run began have been marked
 *     (services/store-locks.ts); each V1 image is checked again under its push lock, its JSON
 *     set aside, and brought back when a tag written meanwhile reaches it (a tag PUT takes the
 *     same lock and needs the JSON).
 * Locks are HostLocks in the config's lock_dir: run gc on the host of the server (or every
 * server of a shared store on hosts that share lock_dir); elsewhere the grace period alone
 * protects pushes.
 *
 * What it sweeps: V1 images nothing refers to (with the bridge's records of them), V2 blobs
 * nothing refers to (with the repositories' links to them and a bridge alias), and with
 * `untagged` the revisions of manifests no tag reaches (with their referrer links).
 */
import { type Digest, parseDigest } from '../checksums/digest.js';
import type { Locks } from '../services/host-lock.js';
import { KeyedMutex } from '../services/keyed-mutex.js';
import { blobLock, repositoryLinksLock } from '../services/store-locks.js';
import { describeManifest, parseManifestJson } from '../services/v2/manifest-types.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from '../storage/driver.js';
import { isNotFound } from '../storage/errors.js';
import { berth, bridge, v2 } from '../storage/paths.js';
import { Marks } from './gc-mark.js';
import { baseName, linkFiles, modifiedAt, readOrNull, v1ImageIds, v1Tags, v2Blobs } from './store-walk.js';

/** V1 candidates whose JSON is set aside before the tags are read again */
const IMAGE_BATCH = 256;

export interface GcOptions {
  dryRun?: boolean;
  /** also drop manifests no tag reaches */
  untagged?: boolean;
  /** what changed less than this long before the run is never swept */
  graceMs: number;
  /**
   * added to the grace period: object times come from the storage's clock (a filesystem's
   * coarse kernel clock, an S3 server's), which may run behind ours; default 2 s
   */
  clockSlackMs?: number;
  /** the locks the server takes (HostLocks on its lock_dir); default: this process only */
  locks?: Locks;
  now?: () => number;
  signal?: AbortSignal;
  onItem?: (what: string) => void;
  /** told of each object swept (or, dry, that would be) */
  onSweep?: (swept: Swept) => void;
}

export interface Swept {
  kind: 'v1-image' | 'v2-blob' | 'v2-manifest';
  /** the V1 image id or the V2 digest (a manifest: `<repository>@<digest>`) */
  name: string;
  bytes: number;
}

export interface GcReport {
  dryRun: boolean;
  untagged: boolean;
  graceSeconds: number;
  examined: { v1Images: number; v2Blobs: number; repositories: number };
  live: { v1Images: number; v2Digests: number };
  swept: { v1Images: number; v2Blobs: number; v2Manifests: number; links: number };
  /** candidates that turned out to be in use when checked again (re-linked, re-pushed) */
  spared: number;
  freed: { objects: number; bytes: number };
}

export async function collectGarbage(storage: StorageDriver, options: GcOptions): Promise<GcReport> {
  return new Collector(storage, options).run();
}

class Collector {
  private readonly started: number;
  private readonly cutoff: number;
  private readonly dry: boolean;
  private readonly locks: Locks;
  private readonly marks: Marks;
  private readonly report: GcReport;

  constructor(
    private readonly storage: StorageDriver,
    private readonly o: GcOptions,
  ) {
    this.started = (o.now ?? Date.now)();
    this.cutoff = this.started - o.graceMs - (o.clockSlackMs ?? CLOCK_SLACK_MS);
    this.dry = o.dryRun ?? false;
    this.locks = o.locks ?? new KeyedMutex();
    this.marks = new Marks(storage, { cutoff: this.cutoff, untagged: o.untagged ?? false, signal: o.signal, onItem: o.onItem });
    this.report = {
      dryRun: this.dry,
      untagged: o.untagged ?? false,
      graceSeconds: o.graceMs / 1000,
      examined: { v1Images: 0, v2Blobs: 0, repositories: 0 },
      live: { v1Images: 0, v2Digests: 0 },
      swept: { v1Images: 0, v2Blobs: 0, v2Manifests: 0, links: 0 },
      spared: 0,
      freed: { objects: 0, bytes: 0 },
    };
  }

  async run(): Promise<GcReport> {
    if (!this.dry) await this.putBackSetAside();
    await this.marks.run();
    if (this.o.untagged) for (const name of this.marks.repositories) await this.sweepUntagged(name);
    await this.sweepBlobs();
    await this.sweepAliases();
    await this.sweepImages();
    const r = this.report;
    r.examined.v1Images = this.marks.images;
    r.examined.repositories = this.marks.repositories.length;
    r.live = { v1Images: this.marks.v1.size, v2Digests: this.marks.v2.size };
    return r;
  }

  private swept(kind: Swept['kind'], name: string, bytes: number): void {
    const key = kind === 'v1-image' ? 'v1Images' : kind === 'v2-blob' ? 'v2Blobs' : 'v2Manifests';
    this.report.swept[key]++;
    this.report.freed.objects++;
    this.report.freed.bytes += bytes;
    this.o.onSweep?.({ kind, name, bytes });
  }

  /** Under `key` for real; a dry run takes no lock (it changes nothing). */
  private locked<T>(key: string, work: () => Promise<T>): Promise<T> {
    return this.dry ? work() : this.locks.run(key, work);
  }

  private young(t: number | null): boolean {
    return t !== null && t >= this.cutoff;
  }

  // --- V2 ---

  /** Revisions of `name` that no tag (or kept index, referrer, young link) reaches. */
  private async sweepUntagged(name: string): Promise<void> {
    const revisions = `${v2.repository(name)}/_manifests/revisions`;
    await this.locked(repositoryLinksLock(name), async () => {
      await this.markNewRevisions(name);
      for await (const link of linkFiles(this.storage, revisions, this.o.signal)) {
        if (!link.digest || this.marks.v2.has(link.digest.value)) continue;
        if (this.young(await modifiedAt(this.storage, link.path, this.o.signal))) continue;
        const bytes = await readOrNull(this.storage, v2.blobData(link.digest), this.o.signal);
        if (!this.dry) {
          const subject = bytes ? subjectOf(bytes) : null;
          if (subject) await deleteIfExists(this.storage, dirOf(v2.referrerLink(name, subject, link.digest)), this.o.signal);
          await deleteIfExists(this.storage, dirOf(link.path), this.o.signal);
        }
        this.swept('v2-manifest', `${name}@${link.digest.value}`, 0);
      }
    });
  }

  /**
   * Manifests pushed since the run began: what they refer to is live. Without --untagged every
   * revision there was is marked, so one not marked is new (its directory names it: no read);
   * with it, an unmarked one is new when its link is young.
   */
  private async markNewRevisions(name: string): Promise<void> {
    const revisions = `${v2.repository(name)}/_manifests/revisions`;
    for (const algDir of await listOrEmpty(this.storage, revisions, this.o.signal)) {
      for (const hexDir of await listOrEmpty(this.storage, algDir, this.o.signal)) {
        const digest = parseDigest(`${baseName(algDir)}:${baseName(hexDir)}`);
        if (!digest || this.marks.v2.has(digest.value)) continue;
        if (this.o.untagged && !this.young(await modifiedAt(this.storage, `${hexDir}/link`, this.o.signal))) continue;
        await this.marks.markManifest(digest);
      }
    }
    await this.marks.markReferrers(name);
  }

  private async sweepBlobs(): Promise<void> {
    for await (const { digest, path } of v2Blobs(this.storage, this.o.signal)) {
      this.report.examined.v2Blobs++;
      this.o.onItem?.(path);
      if (this.marks.v2.has(digest.value)) continue;
      await this.locked(blobLock(digest), async () => {
        const changed = await this.storage.stat(path, this.o.signal).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
        if (!changed) return; // a directory a crash left without its data, or gone meanwhile
        const stamp = berth.gcLinked(digest);
        const linked = await modifiedAt(this.storage, stamp, this.o.signal);
        if (this.young(changed.modTime.getTime()) || this.young(linked) || !(await this.unlinkEverywhere(digest))) {
          this.report.spared++;
          return;
        }
        if (!this.dry) {
          await deleteIfExists(this.storage, dirOf(path), this.o.signal);
          if (linked !== null) await deleteIfExists(this.storage, stamp, this.o.signal);
        }
        this.swept('v2-blob', digest.value, changed.size);
      });
    }
  }

  /** A bridge alias (a V2 blob whose bytes are a V1 layer) that nothing refers to goes with its links. */
  private async sweepAliases(): Promise<void> {
    for (const algDir of await listOrEmpty(this.storage, `${bridge.root}/blobs`, this.o.signal)) {
      for (const file of await listOrEmpty(this.storage, algDir, this.o.signal)) {
        const digest = parseDigest(`${baseName(algDir)}:${baseName(file)}`);
        if (!digest || this.marks.v2.has(digest.value)) continue;
        const id = (await readOrNull(this.storage, file, this.o.signal))?.toString('utf8').trim() ?? '';
        if (this.marks.v1.has(id)) continue; // the V1 image stays, so may its alias
        await this.locked(blobLock(digest), async () => {
          if (this.young(await modifiedAt(this.storage, file, this.o.signal)) || !(await this.unlinkEverywhere(digest))) {
            this.report.spared++;
            if (id) await this.marks.markImage(id); // its layer is what the link serves
            return;
          }
          if (!this.dry) await deleteIfExists(this.storage, file, this.o.signal);
        });
      }
    }
  }

  /**
   * Remove every repository's link to a blob nothing marked, each under the repository's links
   * lock after marking the manifests pushed there since the run began. False (nothing removed
   * from that repository on) when the blob turns out to be in use: a link or revision younger
   * than the cutoff, or a new manifest that needs it.
   */
  private async unlinkEverywhere(digest: Digest): Promise<boolean> {
    for (const name of this.marks.repositories) {
      const layer = v2.layerLink(name, digest);
      const revision = v2.revisionLink(name, digest);
      const [layerAt, revisionAt] = await Promise.all([modifiedAt(this.storage, layer, this.o.signal), modifiedAt(this.storage, revision, this.o.signal)]);
      if (layerAt === null && revisionAt === null) continue;
      if (this.young(layerAt) || this.young(revisionAt)) return false;
      // An old revision of an unmarked manifest is there only in a dry run of --untagged (else it is marked or gone).
      if (revisionAt !== null && !(this.o.untagged && this.dry)) return false;
      const removed = await this.locked(repositoryLinksLock(name), async () => {
        await this.markNewRevisions(name);
        if (this.marks.v2.has(digest.value)) return false;
        if (!this.dry && (await deleteIfExists(this.storage, dirOf(layer), this.o.signal))) this.report.swept.links++;
        return true;
      });
      if (!removed) return false;
    }
    return true;
  }

  // --- V1 ---

  /** JSON a run that was killed had set aside goes back to its image (the next steps judge it again). */
  private async putBackSetAside(): Promise<void> {
    for (const file of await listOrEmpty(this.storage, SET_ASIDE, this.o.signal)) {
      const id = baseName(file);
      if (IMAGE_ID.test(id)) await this.locks.run(id, () => this.putBack(id));
      else await deleteIfExists(this.storage, file, this.o.signal);
    }
  }

  /** A set-aside JSON back in its image, unless the image is gone or was pushed again meanwhile (its own JSON wins). */
  private async putBack(id: string): Promise<void> {
    const files = (await listOrEmpty(this.storage, `images/${id}`, this.o.signal)).map(baseName);
    if (files.length > 0 && !files.includes('json')) await this.storage.move(setAside(id), `images/${id}/json`, this.o.signal);
    else await deleteIfExists(this.storage, setAside(id), this.o.signal);
  }

  /**
   * V1 images nothing marked, a batch at a time: each is checked again under its push lock and
   * its JSON set aside (a tag PUT, which takes the same lock, then finds no image); then the
   * tags are read again, and what a tag written meanwhile reaches gets its JSON back. The rest
   * goes.
   */
  private async sweepImages(): Promise<void> {
    let batch: Array<{ id: string; json: number | null }> = [];
    for await (const id of v1ImageIds(this.storage, this.o.signal)) {
      this.o.onItem?.(`images/${id}`);
      if (this.marks.v1.has(id) || !IMAGE_ID.test(id)) continue; // a stray name is not an image: left alone
      await this.locked(id, async () => {
        if (await this.marks.imageIsLive(id)) {
          this.report.spared++;
          return;
        }
        const json = await this.storage.stat(`images/${id}/json`, this.o.signal).then(
          (s) => s.size,
          (err) => (isNotFound(err) ? null : Promise.reject(err)),
        );
        if (json !== null && !this.dry) await this.storage.move(`images/${id}/json`, setAside(id), this.o.signal);
        batch.push({ id, json });
      });
      if (batch.length >= IMAGE_BATCH) {
        await this.settleImages(batch);
        batch = [];
      }
    }
    await this.settleImages(batch);
  }

  private async settleImages(batch: Array<{ id: string; json: number | null }>): Promise<void> {
    if (batch.length === 0) return;
    for await (const tag of v1Tags(this.storage, this.o.signal)) if (IMAGE_ID.test(tag.id)) await this.marks.markImage(tag.id);
    for (const { id, json } of batch) {
      if (this.marks.v1.has(id)) {
        if (json !== null && !this.dry) await this.locked(id, () => this.putBack(id));
        this.report.spared++;
        continue;
      }
      await this.locked(id, async () => {
        const files = await listOrEmpty(this.storage, `images/${id}`, this.o.signal);
        if (!this.dry && files.some((f) => baseName(f) === 'json')) {
          // pushed again meanwhile (its JSON PUT found none): the new push owns it now
          await deleteIfExists(this.storage, setAside(id), this.o.signal);
          this.report.spared++;
          return;
        }
        const sizes = await Promise.all(
          files.map((f) =>
            this.storage.stat(f, this.o.signal).then(
              (s) => s.size,
              () => 0,
            ),
          ),
        );
        const bytes = sizes.reduce((a, b) => a + b, 0) + (this.dry ? 0 : (json ?? 0));
        if (!this.dry) {
          const facts = await readOrNull(this.storage, bridge.layerFacts(id), this.o.signal).catch(() => null);
          await deleteIfExists(this.storage, `images/${id}`, this.o.signal);
          await deleteIfExists(this.storage, setAside(id), this.o.signal);
          await this.dropBridgeRecords(id, facts);
        }
        this.swept('v1-image', id, bytes);
      });
    }
  }

  /** The bridge's records of a V1 image that is gone: its layer facts, its V2 blob record, the alias naming it. */
  private async dropBridgeRecords(id: string, facts: Buffer | null): Promise<void> {
    if (!IMAGE_ID.test(id)) return;
    await deleteIfExists(this.storage, bridge.layerFacts(id), this.o.signal);
    await deleteIfExists(this.storage, bridge.v1Layer(id), this.o.signal);
    let digest: Digest | null = null;
    try {
      digest = parseDigest((JSON.parse(facts?.toString('utf8') ?? 'null') as { blob?: { digest?: string } } | null)?.blob?.digest);
    } catch {
      // no facts, or not JSON: no alias to look for
    }
    if (!digest) return;
    const alias = bridge.blobAlias(digest);
    if ((await readOrNull(this.storage, alias, this.o.signal))?.toString('utf8').trim() === id) await deleteIfExists(this.storage, alias, this.o.signal);
  }
}

const IMAGE_ID = /^[a-f0-9]{64}$/;
const CLOCK_SLACK_MS = 2000;
const SET_ASIDE = berth.gcSetAside;
const setAside = berth.gcSetAsideJson;
const dirOf = (path: string) => path.slice(0, path.lastIndexOf('/'));

function subjectOf(bytes: Buffer): Digest | null {
  try {
    return describeManifest(parseManifestJson(bytes)).subject;
  } catch {
    return null;
  }
}
