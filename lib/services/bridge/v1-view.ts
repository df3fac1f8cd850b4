/**
 * The V1 view of a V2 tag: the V1 images Docker ≥1.10 would have pushed for the image the tag
 * names (lib/bridge/v2-to-v1.ts; for an index, its entry for the configured platform), each
 * with its JSON, ancestry and payload checksum, and its layer the V2 blob as stored
 * (`berth/bridge/v1-layers/<id>` says which; nothing is copied). The payload checksum is
 * computed over exactly the bytes V1 serves, once, while the view is prepared. A V1 image
 * already stored under one of the view's ids is never overwritten, and stands for the view's
 * only when it is the same image (v1-reuse.ts); otherwise the tag is not shown over V1.
 */
import { isNotBridgeable } from '../../bridge/not-bridgeable.js';
import { v1ImagesFromSchema1 } from '../../bridge/schema1-to-v1.js';
import { imageManifestRefs, type Platform, pickPlatform } from '../../bridge/v2-manifest.js';
import { ancestryOf, type V1View as V1Image, v1ImagesFromImage } from '../../bridge/v2-to-v1.js';
import { type Digest, parseDigest } from '../../checksums/digest.js';
import { payloadChecksum } from '../../checksums/payload.js';
import { RegistryError } from '../../errors/registry-error.js';
import type { RepositoryName } from '../../names/v1.js';
import type { StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { bridge } from '../../storage/paths.js';
import type { ImageService } from '../v1/images.js';
import type { IndexImagesService } from '../v1/index-images.js';
import type { TagService } from '../v1/tags.js';
import type { BlobStore } from '../v2/blobs.js';
import type { ManifestService } from '../v2/manifests.js';
import type { LayerFactsStore } from './layer-facts-store.js';
import { type V1LayerRecord, V1Reuse } from './v1-reuse.js';
import type { Prepared } from './v2-view.js';

export interface PreparedV1View {
  /** base first; `checksum` null when a V1 image of that id is here already and is this one (v1-reuse.ts) */
  images: Array<V1Image & { ancestry: string[]; checksum: string | null }>;
}

/**
 * The largest config a V1 view is made from: it is read whole, and becomes the top image's
 * JSON. Image configs are kilobytes (tens for long histories); 4 MiB is also registry:2's
 * limit for a manifest.
 */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

export class V1View {
  private readonly reuse: V1Reuse;

  constructor(
    private readonly storage: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly manifests: ManifestService,
    private readonly images: ImageService,
    private readonly tags: TagService,
    private readonly index: IndexImagesService,
    private readonly platform: Platform,
    facts: LayerFactsStore,
  ) {
    this.reuse = new V1Reuse(storage, facts);
  }

  /** Everything that reads the V2 image, the layers' checksums included, outside any tag lock. */
  async prepare(v2name: string, digest: Digest): Promise<Prepared<PreparedV1View>> {
    try {
      let manifest = await this.manifests.load(v2name, digest);
      if (manifest.info.kind === 'index') {
        const entry = pickPlatform(manifest.bytes, this.platform);
        const child = parseDigest(entry?.digest);
        if (!child) return { ok: false, reason: `the index has no ${platformText(this.platform)} image` };
        // A sparse index (the OCI conformance suite pushes them) names images the repository need not hold.
        const loaded = await this.manifests.load(v2name, child).catch((err: unknown) => {
          if (err instanceof RegistryError && err.status === 404) return null;
          throw err;
        });
        if (!loaded) return { ok: false, reason: `the index's ${platformText(this.platform)} image ${child.value} is not in the repository` };
        manifest = loaded;
      }
      let views: V1Image[];
      if (manifest.info.kind === 'schema1') {
        // Docker 1.6–1.9 pushed a V1 chain in V2 clothes: its images as they are, sizes from storage.
        views = v1ImagesFromSchema1(manifest.bytes);
        for (const view of views) view.layer = { ...view.layer, size: (await this.blobs.statData(parseDigest(view.layer.digest) as Digest)).size };
      } else if (manifest.info.kind === 'image') {
        const refs = imageManifestRefs(manifest.bytes);
        const configDigest = parseDigest(refs.configDigest);
        if (!configDigest) return { ok: false, reason: 'the config digest does not parse' };
        const config = await this.smallConfig(configDigest);
        if (!config.ok) return config;
        views = v1ImagesFromImage({ ...refs, configBytes: config.view });
      } else {
        return { ok: false, reason: `a ${manifest.info.mediaType} has no V1 view` };
      }
      const zstd = views.find((v) => v.transcode);
      if (zstd) return { ok: false, reason: `layer ${zstd.layer.digest} is zstd, which no V1 client reads (Berth does not transcode it)` };
      const images: PreparedV1View['images'] = [];
      for (const [k, view] of views.entries()) {
        const ancestry = ancestryOf(views.slice(0, k + 1));
        const reuse = await this.reuse.check({ ...view, ancestry });
        if (reuse.kind === 'other') return { ok: false, reason: reuse.reason };
        const checksum = reuse.kind === 'same' ? null : await payloadChecksum(view.json, await this.blobs.openData(parseDigest(view.layer.digest) as Digest));
        images.push({ ...view, ancestry, checksum });
      }
      return { ok: true, view: { images } };
    } catch (err) {
      if (isNotBridgeable(err)) return { ok: false, reason: err.message };
      throw err;
    }
  }

  /** The config's bytes, read only once storage says it is small enough to hold in memory (a manifest may name any blob as its config). */
  private async smallConfig(digest: Digest): Promise<Prepared<Buffer>> {
    const found = await this.blobs.locate(digest);
    if (!found) return { ok: false, reason: `the config blob ${digest.value} is missing` };
    if (found.size > MAX_CONFIG_BYTES)
      return { ok: false, reason: `the config is ${found.size} bytes, more than the ${MAX_CONFIG_BYTES} a V1 view is made from` };
    return { ok: true, view: await this.storage.getContent(found.key) };
  }

  /**
   * Show the image under `tag` in the V1 repository `name`. Returns the top image's id, or null
   * when a V1 image of an id the view was to write appeared since it was prepared (the view
   * must be prepared again, to tell whether that image may stand for the view's).
   */
  async write(name: RepositoryName, tag: string, view: PreparedV1View): Promise<string | null> {
    for (const image of view.images) {
      if (image.checksum === null) continue; // the same image is here already
      const record: V1LayerRecord = { digest: image.layer.digest, size: image.layer.size };
      const attachLayer = () => this.storage.putContent(bridge.v1Layer(image.id), JSON.stringify(record));
      if (!(await this.images.putDerived(image.id, image.json, image.ancestry, image.checksum, attachLayer))) return null;
    }
    const top = view.images.at(-1)?.id as string;
    await this.index.put(name, Buffer.from(JSON.stringify(view.images.map((i) => ({ id: i.id })))));
    await this.tags.putDerived(name, tag, top);
    return top;
  }

  async remove(name: RepositoryName, tag: string): Promise<void> {
    await this.tags.deleteDerived(name, tag);
  }

  /** The layer of an image this view made: the blob's storage key and size. */
  async layerOf(id: string): Promise<{ key: string; size: number } | null> {
    let record: V1LayerRecord;
    try {
      record = JSON.parse((await this.storage.getContent(bridge.v1Layer(id))).toString('utf8')) as V1LayerRecord;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    const digest = parseDigest(record.digest);
    return digest ? this.blobs.locate(digest) : null;
  }
}

function platformText(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
