/**
 * Docker 1.x hosts pulling from a V2 upstream: a V1 tag is the bridge's V1 view of the image the
 * V2 tag names (lib/services/bridge/v1-view.ts; for a manifest list or OCI index, its
 * linux/amd64 image). Before a V1 tag is read, the image is brought in: its manifest through
 * the V2 pull-through store (TTL and HEAD revalidation included), its config and layers through
 * the V2 blob store, then the tag is handed to the bridge, which derives the V1 images (stable
 * ids: the same image gives the same ids on every instance) and serves their JSON, ancestry and
 * layers from then on, from what is stored.
 */
import { imageManifestRefs } from '../bridge/v2-manifest.js';
import { type Digest, parseDigest } from '../checksums/digest.js';
import { V1 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { type RepositoryName, repositoryKey } from '../names/v1.js';
import { isName } from '../names/v2.js';
import type { BridgeService } from '../services/bridge/index.js';
import { recordKeyOf } from '../services/bridge/names.js';
import type { MirrorContext } from './context.js';
import type { ProxyBlobStore } from './proxy-blobs.js';
import type { ProxyManifestService } from './proxy-manifests.js';

/** Upstream tags brought in for a V1 list of every tag (Docker ≤1.7 asks for them all, then picks one); `latest` first. */
export const V1_LIST_TAGS = 10;

export class V1PullThrough {
  constructor(
    readonly mirror: MirrorContext,
    private readonly blobs: ProxyBlobStore,
    private readonly manifests: ProxyManifestService,
    private readonly bridge: BridgeService,
  ) {}

  /** The V2 name a V1 repository is fetched under (`library/x` is upstream's `x` unless library_names). */
  v2NameOf(name: RepositoryName): string {
    return name.namespace === 'library' && !this.mirror.scope.libraryNames ? name.repository : repositoryKey(name);
  }

  /** V1 took names V2 cannot spell: those are never asked of the upstream. */
  async fetches(name: RepositoryName): Promise<boolean> {
    const v2name = this.v2NameOf(name);
    return isName(v2name) && this.mirror.fetches(v2name);
  }

  /**
   * Bring the image of one tag in and let the bridge show it over V1. An upstream that does not
   * know the tag leaves the local answer (a 404); one that cannot be asked leaves a V1 tag
   * already here served; anything else is the V1 error for it.
   */
  async tag(name: RepositoryName, tag: string): Promise<void> {
    const v2name = this.v2NameOf(name);
    let digest: Digest;
    try {
      digest = (await this.manifests.currentTag(v2name, tag)).digest;
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return;
      if (await this.bridgedHere(v2name, tag)) return;
      throw new RegistryError(V1.MIRROR_UPSTREAM, { args: [err instanceof Error ? err.message : String(err)] });
    }
    const image = (await this.manifests.platformChild(v2name, digest)) ?? digest;
    await this.manifests.ensureDigest(v2name, image);
    for (const blob of await this.blobsOf(v2name, image)) await this.blobs.ensure(v2name, blob);
    const record = await this.bridge.records.get(recordKeyOf(v2name), tag);
    if (record?.target === digest.value && record.state === 'done') return;
    await this.bridge.adoptV2Tag(v2name, tag, digest);
  }

  /** Bring in the upstream's tags for a list of every tag: at most `limit` of them, `latest` first. */
  async tags(name: RepositoryName, limit = V1_LIST_TAGS): Promise<void> {
    let upstream: string[];
    try {
      upstream = await this.manifests.tags(this.v2NameOf(name));
    } catch (err) {
      if (err instanceof RegistryError && err.status === 404) return;
      throw new RegistryError(V1.MIRROR_UPSTREAM, { args: [err instanceof Error ? err.message : String(err)] });
    }
    const chosen = [...upstream.filter((t) => t === 'latest'), ...upstream.filter((t) => t !== 'latest')].slice(0, limit);
    for (const tag of chosen) await this.tag(name, tag);
  }

  /** The config and layers of an image manifest (or a schema1's layers). */
  private async blobsOf(v2name: string, image: Digest): Promise<Digest[]> {
    const manifest = await this.manifests.load(v2name, image);
    if (manifest.info.kind !== 'image') return manifest.info.blobs;
    try {
      const refs = imageManifestRefs(manifest.bytes);
      return [refs.configDigest, ...refs.layers.map((l) => l.digest)].map((d) => parseDigest(d)).filter((d): d is Digest => d !== null);
    } catch {
      return manifest.info.blobs; // not bridgeable (an artifact, foreign layers): the bridge says why
    }
  }

  private async bridgedHere(v2name: string, tag: string): Promise<boolean> {
    const record = await this.bridge.records.get(recordKeyOf(v2name), tag);
    return record?.state === 'done';
  }
}
