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
 * The locks are the servers' own (operatorLocking in services/shared-locking.ts): keys in the
 * `cache` Redis when the config sets one, so gc may run on any host that reaches it; else
 * HostLocks in the config's lock_dir, so run gc on the host of the server (or every server of
 * a shared store on hosts that share lock_dir); elsewhere the grace period alone protects pushes.
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
import { V1Sweep } from './gc-v1.js';
import { baseName, linkFiles, modifiedAt, readOrNull, v2Blobs } from './store-walk.js';

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
  /** the locks the server takes (its lock_dir's HostLocks, or the `cache` Redis's); default: this process only */
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
  private readonly v1: V1Sweep;

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
    this.v1 = new V1Sweep({
      storage,
      marks: this.marks,
      dry: this.dry,
      locks: this.locks,
      locked: (key, work) => this.locked(key, work),
      signal: o.signal,
      onItem: o.onItem,
      spared: () => void this.report.spared++,
      swept: (id, bytes) => this.swept('v1-image', id, bytes),
    });
  }

  async run(): Promise<GcReport> {
    if (!this.dry) await this.v1.putBackSetAside();
    await this.marks.run();
    if (this.o.untagged) for (const name of this.marks.repositories) await this.sweepUntagged(name);
    await this.sweepBlobs();
    await this.sweepAliases();
    await this.v1.sweep();
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
}

const CLOCK_SLACK_MS = 2000;
const dirOf = (path: string) => path.slice(0, path.lastIndexOf('/'));

function subjectOf(bytes: Buffer): Digest | null {
  try {
    return describeManifest(parseManifestJson(bytes)).subject;
  } catch {
    return null;
  }
}
