/**
 * The V2 view of a V1 tag: for the chain the tag names, a Docker schema2 manifest and its
 * config (lib/bridge/v1-to-v2.ts), stored with an OCI and a schema1 form beside it, all
 * linked into the V2 repository as if a client had pushed them. The layers are the V1 layers
 * themselves (or a gzip made of one, see layer-facts-store.ts); only the config and the
 * manifests are new bytes, and the same chain always gives the same bytes.
 */

import { BridgeMediaType } from '../../bridge/media-types.js';
import { isNotBridgeable } from '../../bridge/not-bridgeable.js';
import { schema1FromV1Chain } from '../../bridge/v1-to-schema1.js';
import { imageConfigFromV1Chain, ociManifest, schema2Manifest } from '../../bridge/v1-to-v2.js';
import { type Digest, digestOf, parseDigest } from '../../checksums/digest.js';
import type { StorageDriver } from '../../storage/driver.js';
import { deleteIfExists } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { berth, bridge, v1, v2 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';
import { KeyedMutex } from '../keyed-mutex.js';
import { blobLock } from '../store-locks.js';
import type { BlobStore } from '../v2/blobs.js';
import type { ManifestAlternates } from '../v2/hooks.js';
import { MediaType } from '../v2/manifest-types.js';
import type { ManifestService } from '../v2/manifests.js';
import type { BridgedLayer, LayerFactsStore } from './layer-facts-store.js';

interface ChainImage {
  id: string;
  json: Buffer;
  layer: BridgedLayer;
}

/** A V1 chain ready to be shown to V2 (what needed no tag lock: the layers' facts, the config). */
export interface PreparedV2View {
  /** base first */
  chain: ChainImage[];
  config: Buffer;
  schema2: Buffer;
  oci: Buffer;
}

export type Prepared<T> = { ok: true; view: T } | { ok: false; reason: string };

export class V2View {
  constructor(
    private readonly storage: StorageDriver,
    private readonly facts: LayerFactsStore,
    private readonly blobs: BlobStore,
    private readonly manifests: ManifestService,
    private readonly locks: Locks = new KeyedMutex(),
  ) {}

  /** Everything that reads the chain; the slow part (a layer's first DiffID) happens here, outside any tag lock. */
  async prepare(topId: string): Promise<Prepared<PreparedV2View>> {
    let ancestry: string[];
    try {
      ancestry = JSON.parse((await this.storage.getContent(v1.imageAncestry(topId))).toString('utf8')) as string[];
    } catch (err) {
      if (isNotFound(err)) return { ok: false, reason: `image ${topId} has no ancestry` };
      throw err;
    }
    const baseFirst = [...ancestry].reverse();
    const found = await Promise.all(baseFirst.map(async (id) => ({ id, facts: await this.facts.ensure(id), json: await this.jsonOf(id) })));
    const chain: ChainImage[] = [];
    for (const { id, facts, json } of found) {
      if (!facts.ok) return { ok: false, reason: `image ${id}: ${facts.reason}` };
      if (!json) return { ok: false, reason: `image ${id} has no JSON` };
      chain.push({ id, json, layer: facts });
    }
    try {
      const config = imageConfigFromV1Chain(chain.map((c) => ({ json: c.json, diffId: c.layer.diffId })));
      const parts = { config: { digest: digestOf(config).value, size: config.length }, layers: chain.map((c) => c.layer.blob) };
      const ociLayers = chain.map((c) => ({ ...c.layer.blob, mediaType: BridgeMediaType.ociLayerGzip }));
      return { ok: true, view: { chain, config, schema2: schema2Manifest(parts), oci: ociManifest({ ...parts, layers: ociLayers }) } };
    } catch (err) {
      if (isNotBridgeable(err)) return { ok: false, reason: err.message };
      throw err;
    }
  }

  /** The image's JSON, or where `berth gc` set it aside while it reads the tags again (a tag written then brings it back). */
  private async jsonOf(id: string): Promise<Buffer | null> {
    for (const path of [v1.imageJson(id), berth.gcSetAsideJson(id)]) {
      try {
        return await this.storage.getContent(path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return null;
  }

  /** Show the chain under `tag` in each of `names`. Returns the schema2 digest. */
  async write(names: readonly string[], tag: string, view: PreparedV2View): Promise<Digest> {
    const configDigest = digestOf(view.config);
    await this.blobs.putSmall(configDigest, view.config);
    let schema2Digest: Digest | null = null;
    for (const name of names) {
      await this.linkBlob(name, configDigest, null);
      for (const { id, layer } of view.chain) await this.linkBlob(name, parseDigest(layer.blob.digest) as Digest, layer.source === 'v1-layer' ? id : null);
      const put = (bytes: Buffer, type: string, ref: 'tag' | 'digest') =>
        this.manifests.put(name, ref === 'tag' ? { kind: 'tag', tag } : { kind: 'digest', digest: digestOf(bytes) }, bytes, type, [], undefined, {
          quiet: true,
        });
      // The other forms first, so that the tag never points at a manifest whose forms are missing.
      const schema1 = schema1FromV1Chain({
        name,
        tag,
        chain: [...view.chain].reverse().map((c) => ({ json: c.json, blobDigest: c.layer.blob.digest })),
      });
      const [oci, s1] = await Promise.all([put(view.oci, MediaType.ociManifest, 'digest'), put(schema1, MediaType.schema1, 'digest')]);
      const forms: ManifestAlternates = { oci: oci.digest, schema1: s1.digest };
      schema2Digest = digestOf(view.schema2);
      await this.storage.putContent(
        bridge.alternates(name, tag),
        JSON.stringify({ of: schema2Digest.value, oci: forms.oci?.value, schema1: forms.schema1?.value }),
      );
      await put(view.schema2, MediaType.dockerManifest, 'tag');
    }
    return schema2Digest ?? digestOf(view.schema2);
  }

  /**
   * Link a blob under its lock (services/store-locks.ts), where `berth gc` deletes blobs nothing
   * links. A V1 layer whose bytes V2 held when its facts were made may have been collected since
   * then: the alias to the V1 layer serves them again.
   */
  private async linkBlob(name: string, digest: Digest, v1Layer: string | null): Promise<void> {
    await this.locks.run(blobLock(digest), async () => {
      if (v1Layer && !(await this.blobs.hasData(digest))) await this.storage.putContent(bridge.blobAlias(digest), v1Layer);
      await this.blobs.linkStored(name, digest);
    });
  }

  /** The tag goes from each of `names` (the manifests stay, as after a V2 tag delete). */
  async remove(names: readonly string[], tag: string): Promise<void> {
    for (const name of names) {
      await deleteIfExists(this.storage, v2.tag(name, tag));
      await deleteIfExists(this.storage, bridge.alternates(name, tag));
    }
  }

  /** The other forms of the manifest a tag shows, if the bridge made them. */
  async alternates(name: string, tag: string, digest: Digest): Promise<ManifestAlternates | null> {
    let stored: { of: string; oci?: string; schema1?: string };
    try {
      stored = JSON.parse((await this.storage.getContent(bridge.alternates(name, tag))).toString('utf8'));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    if (stored.of !== digest.value) return null;
    const forms: ManifestAlternates = {};
    const oci = parseDigest(stored.oci);
    const schema1 = parseDigest(stored.schema1);
    if (oci) forms.oci = oci;
    if (schema1) forms.schema1 = schema1;
    return forms;
  }
}
