/**
 * The V2 blob store of a pull-through cache: the local BlobStore, wrapped (distribution's
 * `registry/proxy/proxyblobstore.go`). What the repository holds is served from here; a miss
 * is fetched from the upstream once (blob-fetch.ts), streamed to the client that asked while it
 * is stored, then linked into the repository. Blobs are content-addressed: once here, they
 * never need the upstream again, until eviction (eviction.ts) takes their bytes back. Every link
 * is written under the blob's lock with the stamp `berth gc` reads (services/store-locks.ts), as
 * a mount does; a link made by a push or a mount (allow_push) marks the blob local, which
 * eviction never takes.
 */
import type { Digest } from '../checksums/digest.js';
import { blobLock } from '../services/store-locks.js';
import { type StoredObject, storedObject } from '../services/stored-object.js';
import { type BlobInfo, BlobStore, blobUnknown } from '../services/v2/blobs.js';
import type { V2Hooks } from '../services/v2/hooks.js';
import type { StorageDriver } from '../storage/driver.js';
import { v2 } from '../storage/paths.js';
import { BlobFetch } from './blob-fetch.js';
import type { MirrorContext } from './context.js';
import { clientError, refusal, servesStale } from './upstream-errors.js';

export class ProxyBlobStore extends BlobStore {
  /** fetches running in this process, by digest */
  private readonly inflight = new Map<string, Promise<BlobFetch>>();

  constructor(
    storage: StorageDriver,
    hooks: V2Hooks,
    private readonly mirror: MirrorContext,
  ) {
    super(storage, hooks);
  }

  override async stat(name: string, digest: Digest, signal?: AbortSignal): Promise<BlobInfo> {
    const source = await this.source(name, digest, signal);
    return { digest, size: source.size };
  }

  override async source(name: string, digest: Digest, signal?: AbortSignal): Promise<StoredObject> {
    if (!(await this.mirror.fetches(name))) return super.source(name, digest, signal);
    const here = await this.locate(digest, signal);
    if (here && (await this.isLinked(name, digest, signal))) {
      this.mirror.records.touch(digest).catch(() => {});
      // Linked and located: what super.source would find by reading both again.
      return storedObject(this.storage, here.key, here.size);
    }
    if (here) {
      // The bytes came for another repository: this one may have them if the upstream says it has.
      await this.confirm(name, digest, signal);
      await this.linkFetched(name, digest, signal);
      return super.source(name, digest, signal);
    }
    const fetch = await this.fetchOnce(name, digest);
    if (fetch.size === null) {
      await fetch.done;
      return super.source(name, digest, signal);
    }
    return {
      size: fetch.size,
      localKey: null,
      openFile: null,
      redirectUrl: async () => null,
      reader: async (range, readSignal) => {
        // The whole blob, asked by the client that started the fetch: the live stream.
        const live = range.offset === 0 && range.length === fetch.size ? fetch.claim() : null;
        if (live) return live;
        await fetch.done;
        return (await super.source(name, digest, readSignal)).reader(range, readSignal);
      },
    };
  }

  /** A link made by a push or a mount (the caller holds the blob's lock): the blob is local from now on. */
  override async link(name: string, digest: Digest, signal?: AbortSignal): Promise<void> {
    await this.mirror.records.markLocal(digest, signal);
    await super.link(name, digest, signal);
  }

  /** The mirror's own link of a blob it holds for the upstream, with its record written in the same hold of the lock. */
  private linkFetched(name: string, digest: Digest, signal?: AbortSignal, record?: () => Promise<void>): Promise<void> {
    return this.mirror.locks.run(blobLock(digest), async () => {
      await super.link(name, digest, signal);
      await this.stampLinked(digest, signal);
      await record?.();
    });
  }

  /** Bring a blob in without serving it (the V1 side needs every layer stored before the bridge shows an image). */
  async ensure(name: string, digest: Digest, signal?: AbortSignal): Promise<void> {
    const here = await this.locate(digest, signal);
    if (here && (await this.isLinked(name, digest, signal))) return;
    if (here) return this.linkFetched(name, digest, signal);
    await (await this.fetchOnce(name, digest)).done;
  }

  /** The running fetch of this blob, or a new one (a second request never sends a second GET). */
  private fetchOnce(name: string, digest: Digest): Promise<BlobFetch> {
    const running = this.inflight.get(digest.value);
    if (running) return running;
    const started = this.startFetch(name, digest);
    this.inflight.set(digest.value, started);
    const forget = () => {
      if (this.inflight.get(digest.value) === started) this.inflight.delete(digest.value);
    };
    started.then((fetch) => fetch.done.then(forget, forget), forget);
    return started;
  }

  /** The upstream's answer read up to its headers, its body on its way to storage. */
  private async startFetch(name: string, digest: Digest): Promise<BlobFetch> {
    const { upstream } = this.mirror;
    let res: Response;
    // The transfer is the fetch's, not a client's: only the fetch itself ends it.
    const transfer = new AbortController();
    try {
      res = await upstream.request({ method: 'GET', path: this.mirror.blobPath(name, digest), scope: this.mirror.pullScope(name), signal: transfer.signal });
    } catch (err) {
      throw clientError(err, digest.value, () => blobUnknown(digest));
    }
    if (res.status !== 200 || !res.body) throw clientError(await refusal(res), digest.value, () => blobUnknown(digest));
    const writer = await this.storage.writer(v2.blobData(digest));
    return new BlobFetch(
      digest,
      res,
      writer,
      (size) => this.linkFetched(name, digest, undefined, () => this.mirror.records.setBlob(digest, size)),
      this.mirror.log,
      (why) => transfer.abort(why),
    );
  }

  /** The upstream holds this blob in this repository (a HEAD); an upstream that cannot say is taken at its word. */
  private async confirm(name: string, digest: Digest, signal?: AbortSignal): Promise<void> {
    try {
      const res = await this.mirror.upstream.request({
        method: 'HEAD',
        path: this.mirror.blobPath(name, digest),
        scope: this.mirror.pullScope(name),
        ...(signal ? { signal } : {}),
      });
      if (res.status === 200) return;
      throw await refusal(res);
    } catch (err) {
      if (servesStale(err)) return;
      throw clientError(err, digest.value, () => blobUnknown(digest));
    }
  }
}
