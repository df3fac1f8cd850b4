/**
 * What V2 needs to know of a V1 image's layer, learnt once after the image is complete and
 * kept in `berth/bridge/layers/<id>`: the blob V2 serves for it (the layer itself when it is
 * gzip, as every Docker client sends it; else a gzip made once from it), its DiffID, and
 * whether it is empty. The layer is read again after the push, off the push's path: a DiffID
 * needs the whole layer decompressed, which takes longer than receiving it.
 *
 * A gzip layer is not copied: `berth/bridge/blobs/<digest>` names the V1 image whose layer the
 * blob is (BlobStore reads it through the bridge's alias).
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressorFor } from '../../bridge/compression.js';
import { gzipDeterministic } from '../../bridge/gzip-layer.js';
import { inspectLayer } from '../../bridge/layer-facts.js';
import { layerMediaType } from '../../bridge/media-types.js';
import { DigestingStream, parseDigest } from '../../checksums/digest.js';
import type { Logger } from '../../logging/logger.js';
import { exists, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { bridge, v1, v2 } from '../../storage/paths.js';
import type { Locks } from '../host-lock.js';

export interface BridgedLayer {
  ok: true;
  /** the blob V2 serves for this layer */
  blob: { digest: string; size: number; mediaType: string };
  diffId: string;
  empty: boolean;
  uncompressedSize: number;
  /** the V1 layer itself is the blob; a gzip was made of it; or (an image the bridge made) it is a V2 blob already */
  source: 'v1-layer' | 'gzip-copy' | 'v2-blob';
}

export type LayerFactsRecord = BridgedLayer | { ok: false; reason: string };

/** Where the layer of a V1 image the bridge made from a V2 image is (it stores none of its own). */
export type DerivedLayerOf = (id: string) => Promise<{ key: string } | null>;

const NULL_SINK = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

export class LayerFactsStore {
  private readonly inFlight = new Map<string, Promise<LayerFactsRecord>>();

  constructor(
    private readonly storage: StorageDriver,
    private readonly locks: Locks,
    private readonly log: Logger,
    private readonly derivedLayerOf: DerivedLayerOf = async () => null,
  ) {}

  /** Whether a layer is being read now. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** Resolves when the layers being read now are done (whatever came of it). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }

  async get(id: string): Promise<LayerFactsRecord | null> {
    try {
      return JSON.parse((await this.storage.getContent(bridge.layerFacts(id))).toString('utf8')) as LayerFactsRecord;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** The facts, computed now if nobody has (once per image across this host's processes). */
  ensure(id: string): Promise<LayerFactsRecord> {
    let running = this.inFlight.get(id);
    if (!running) {
      // Known facts need no lock; only computing them is serialised across processes.
      running = this.get(id)
        .then((known) => known ?? this.locks.run(`bridge-layer:${id}`, async () => (await this.get(id)) ?? this.compute(id)))
        .finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, running);
    }
    return running;
  }

  private async compute(id: string): Promise<LayerFactsRecord> {
    // Until its checksum is accepted a V1 image's layer may be sent again with other bytes:
    // facts (and an alias) learnt from it now could later name bytes that are not the blob's.
    // Not kept, so that the image is read once it is complete. A complete image never changes.
    if (await exists(this.storage, v1.imageMark(id))) return { ok: false, reason: 'the image is still being uploaded' };
    const layer = await this.layerOf(id);
    // An image with no layer yet (only its JSON) is not complete either; nothing is kept.
    if (!layer) return { ok: false, reason: 'the image has no layer' };
    const inspector = inspectLayer();
    await pipeline(await this.storage.reader(layer.key), inspector, NULL_SINK());
    const facts = inspector.facts;
    let record: LayerFactsRecord;
    if (facts.diffId === null || facts.empty === null || facts.uncompressedSize === null) {
      record = { ok: false, reason: facts.problem ?? 'the layer does not decompress' };
    } else {
      const common = { diffId: facts.diffId, empty: facts.empty, uncompressedSize: facts.uncompressedSize };
      const asIs = layerMediaType(facts.compression, 'docker');
      if (facts.compression === 'gzip' && asIs) {
        // A V2 blob is served under its digest already; only a V1 layer of its own needs the alias.
        if (layer.own) await this.aliasToLayer(facts.digest, id);
        const blob = { digest: facts.digest, size: facts.size, mediaType: asIs };
        record = { ok: true, blob, ...common, source: layer.own ? 'v1-layer' : 'v2-blob' };
      } else {
        // Not gzip (a raw tar from a script, bzip2, xz): one gzip of it, made once, is the blob.
        const blob = await this.gzipCopy(layer.key, facts.compression);
        record = { ok: true, blob: { ...blob, mediaType: layerMediaType('gzip', 'docker') as string }, ...common, source: 'gzip-copy' };
      }
    }
    await this.storage.putContent(bridge.layerFacts(id), JSON.stringify(record));
    if (!record.ok) this.log.info({ id, reason: record.reason }, 'V1 image has no V2 view: its layer cannot be read as a tar');
    return record;
  }

  /** The image's own layer, or the V2 blob the bridge made it of; null when it has neither. */
  private async layerOf(id: string): Promise<{ key: string; own: boolean } | null> {
    if (await exists(this.storage, v1.imageLayer(id))) return { key: v1.imageLayer(id), own: true };
    const derived = await this.derivedLayerOf(id);
    return derived ? { key: derived.key, own: false } : null;
  }

  /** The blob's bytes are the V1 layer's: written once, unless V2 already holds the blob. */
  private async aliasToLayer(digestText: string, id: string): Promise<void> {
    const digest = parseDigest(digestText);
    if (!digest || (await exists(this.storage, v2.blobData(digest)))) return;
    await this.storage.putContent(bridge.blobAlias(digest), id);
  }

  private async gzipCopy(layerKey: string, compression: Parameters<typeof decompressorFor>[0]): Promise<{ digest: string; size: number }> {
    const staging = `${bridge.root}/staging/${randomUUID()}`;
    const hashing = new DigestingStream('sha256');
    const writer = await this.storage.writer(staging);
    try {
      const decompressor = decompressorFor(compression);
      const stages = [await this.storage.reader(layerKey), ...(decompressor ? [decompressor] : []), gzipDeterministic(), hashing, writer.stream] as const;
      await pipeline(stages as unknown as [NodeJS.ReadableStream, ...NodeJS.WritableStream[]]);
      await writer.commit();
    } catch (err) {
      await writer.cancel();
      throw err;
    }
    const digest = hashing.digest();
    if (await exists(this.storage, v2.blobData(digest))) await this.storage.delete(staging);
    else await this.storage.move(staging, v2.blobData(digest));
    return { digest: digest.value, size: hashing.size };
  }
}
