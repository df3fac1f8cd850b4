/**
 * The V2 manifest store of a pull-through cache: the local ManifestService, wrapped
 * (distribution's `registry/proxy/proxymanifeststore.go` and `proxytagservice.go`). A manifest
 * by digest is fetched once and kept forever (its bytes are its name); a tag is served from
 * here for manifests_cache_ttl after it was last checked, then checked again with a HEAD (Docker
 * Hub counts GETs against its rate limit, not HEADs), and fetched again only when it moved. An
 * upstream that is down or rate-limiting leaves what is here served, with a `Warning` header.
 */
import { type Digest, digestOf, parseDigest } from '../checksums/digest.js';
import { V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import type { ManifestRef } from '../names/v2.js';
import type { Locks } from '../services/locks.js';
import { readLink } from '../services/v2/blobs.js';
import type { V2Hooks } from '../services/v2/hooks.js';
import { bareMediaType, MediaType } from '../services/v2/manifest-types.js';
import { MAX_MANIFEST_BYTES, ManifestService, type ServedManifest } from '../services/v2/manifests.js';
import type { SigningKey } from '../services/v2/signing-key.js';
import { exists, type StorageDriver } from '../storage/driver.js';
import { v2 } from '../storage/paths.js';
import type { MirrorContext } from './context.js';
import type { ProxyBlobStore } from './proxy-blobs.js';
import { clientError, refusal, servesStale, staleWarning, UpstreamRefused } from './upstream-errors.js';

/** Every manifest type we can store: the upstream gives us its own bytes, whatever our client will be served. */
const ACCEPT_ALL = [MediaType.ociIndex, MediaType.dockerList, MediaType.ociManifest, MediaType.dockerManifest, MediaType.schema1Signed, MediaType.schema1];
const INDEX_TYPES = [MediaType.ociIndex, MediaType.dockerList];
/** Pages of a tag list followed (distribution answers every tag at once unless `n` is given). */
const MAX_TAG_PAGES = 50;

export class ProxyManifestService extends ManifestService {
  /** tag checks and manifest fetches running in this process: concurrent misses ask the upstream once */
  private readonly running = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly store: StorageDriver,
    blobs: ProxyBlobStore,
    signingKey: SigningKey,
    hooks: V2Hooks,
    sparseIndexes: boolean,
    private readonly mirror: MirrorContext,
    locks: Locks,
  ) {
    super(store, blobs, signingKey, hooks, sparseIndexes, locks);
  }

  override async get(name: string, ref: ManifestRef, accept: Set<string>, signal?: AbortSignal): Promise<ServedManifest> {
    if (!(await this.mirror.fetches(name))) return super.get(name, ref, accept, signal);
    const warning = ref.kind === 'tag' ? await this.refreshTag(name, ref.tag) : await this.ensureDigest(name, ref.digest);
    // By tag, an index goes to a client that lists no index type as its linux/amd64 image: it must be here too.
    if (ref.kind === 'tag' && accept.size > 0 && !INDEX_TYPES.some((t) => accept.has(t)) && !accept.has('*/*')) {
      const child = await this.platformChild(name, await this.resolve(name, ref, signal));
      if (child) await this.ensureDigest(name, child);
    }
    const served = await super.get(name, ref, accept, signal);
    return warning ? { ...served, warning } : served;
  }

  /**
   * The digest a tag names now, fetched if need be (for the V1 side, which then brings in what
   * it names). Returns it with the Warning to give when the upstream could not be asked.
   */
  async currentTag(name: string, tag: string): Promise<{ digest: Digest; warning: string | undefined }> {
    const warning = await this.refreshTag(name, tag);
    return { digest: await this.resolve(name, { kind: 'tag', tag }), warning };
  }

  /** The linux/amd64 image of an index (the one V1 clients and Accept-less clients get), or null for an image. */
  async platformChild(name: string, digest: Digest): Promise<Digest | null> {
    const manifest = await this.load(name, digest);
    if (manifest.info.kind !== 'index') return null;
    const entry = manifest.info.children.find((c) => c.platform?.os === 'linux' && c.platform?.architecture === 'amd64');
    return entry?.digest ?? null;
  }

  override async tags(name: string, signal?: AbortSignal): Promise<string[]> {
    if (!(await this.mirror.fetches(name))) return super.tags(name, signal);
    // With allow_push, tags pushed here are listed beside the upstream's.
    const here = await super.tags(name, signal).catch(() => null);
    try {
      const upstream = await this.upstreamTags(name, signal);
      return here ? [...new Set([...upstream, ...here])].sort() : upstream;
    } catch (err) {
      const unknownThere = err instanceof UpstreamRefused && err.status === 404;
      if (here && (unknownThere || servesStale(err))) return here;
      throw clientError(err, name, () => new RegistryError(V2.NAME_UNKNOWN, { detail: { name } }));
    }
  }

  /** The manifest of this digest, fetched if it is not here; kept forever. */
  async ensureDigest(name: string, digest: Digest): Promise<undefined> {
    if (await exists(this.store, v2.revisionLink(name, digest))) return undefined;
    await this.once(`${name}@${digest.value}`, async () => {
      await this.fetchManifest(name, { kind: 'digest', digest }).catch((err) => {
        throw clientError(err, `${name}@${digest.value}`, () => manifestUnknown(name, digest.value));
      });
      return undefined;
    });
    return undefined;
  }

  /** Check a tag whose last check is older than the TTL; a Warning when what is here is served without the upstream. */
  private refreshTag(name: string, tag: string): Promise<string | undefined> {
    return this.once(`${name}:${tag}`, async () => {
      const here = await readLink(this.store, v2.tagCurrent(name, tag));
      const check = here ? await this.mirror.records.tag(name, tag) : null;
      // A tag here that never came from upstream was pushed here (allow_push): it is ours alone.
      if (here && (!check || check.digest.value !== here.value)) return undefined;
      if (here && check && Date.now() - check.checked < this.mirror.manifestsTtl * 1000) return undefined;
      try {
        if (here) {
          const res = await this.upstreamManifest('HEAD', name, tag);
          if (res.status !== 200) throw await refusal(res);
          if (parseDigest(res.headers.get('docker-content-digest'))?.value === here.value) {
            await this.mirror.records.setTag(name, tag, here);
            return undefined;
          }
        }
        const digest = await this.fetchManifest(name, { kind: 'tag', tag });
        await this.mirror.records.setTag(name, tag, digest);
        return undefined;
      } catch (err) {
        if (here && servesStale(err)) {
          this.mirror.log.warn({ err, repository: name, tag }, 'mirror: upstream unavailable; the cached tag is served');
          return staleWarning(err);
        }
        throw clientError(err, `${name}:${tag}`, () => manifestUnknown(name, tag));
      }
    });
  }

  /** GET a manifest from the upstream, check it names what was asked, and store it (tag included, quietly: the V1 side adopts it itself). */
  private async fetchManifest(name: string, ref: ManifestRef): Promise<Digest> {
    const reference = ref.kind === 'tag' ? ref.tag : ref.digest.value;
    const res = await this.upstreamManifest('GET', name, reference);
    if (res.status !== 200) throw await refusal(res);
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_MANIFEST_BYTES) {
      await res.body?.cancel().catch(() => {});
      throw new RegistryError(V2.MANIFEST_INVALID, { message: `the upstream's manifest ${reference} is over ${MAX_MANIFEST_BYTES} bytes` });
    }
    const body = Buffer.from(await res.arrayBuffer());
    const type = bareMediaType(res.headers.get('content-type') ?? '');
    const said = parseDigest(res.headers.get('docker-content-digest'));
    // A schema1 digest is its payload's, which put() computes; for the rest, the bytes must be what the upstream named.
    if (ref.kind === 'tag' && said && !type.includes('manifest.v1') && digestOf(body, said.algorithm).value !== said.value) {
      throw new RegistryError(V2.MANIFEST_INVALID, { message: `the upstream's manifest ${reference} does not match its digest ${said.value}` });
    }
    const result = await this.put(name, ref, body, type, [], undefined, { quiet: true, fetched: true });
    return result.digest;
  }

  /** The upstream's answer for a manifest, asked in every type we can store. */
  private upstreamManifest(method: 'GET' | 'HEAD', name: string, reference: string): Promise<Response> {
    return this.mirror.upstream.request({ method, path: this.mirror.manifestPath(name, reference), scope: this.mirror.pullScope(name), accept: ACCEPT_ALL });
  }

  private async upstreamTags(name: string, signal?: AbortSignal): Promise<string[]> {
    const tags: string[] = [];
    let path: string | null = this.mirror.tagsPath(name);
    for (let page = 0; path && page < MAX_TAG_PAGES; page++) {
      const res: Response = await this.mirror.upstream.request({ method: 'GET', path, scope: this.mirror.pullScope(name), ...(signal ? { signal } : {}) });
      if (res.status !== 200) throw await refusal(res);
      const doc = (await res.json().catch(() => null)) as { tags?: unknown } | null;
      if (Array.isArray(doc?.tags)) tags.push(...doc.tags.filter((t): t is string => typeof t === 'string'));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
      path = next?.startsWith('/v2/') ? next : null;
    }
    return [...new Set(tags)].sort();
  }

  private once(key: string, work: () => Promise<string | undefined>): Promise<string | undefined> {
    const running = this.running.get(key);
    if (running) return running;
    const started = work().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }
}

function manifestUnknown(name: string, reference: string): RegistryError {
  return new RegistryError(V2.MANIFEST_UNKNOWN, { detail: { name, reference } });
}
