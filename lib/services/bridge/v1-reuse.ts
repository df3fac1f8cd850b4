/**
 * Whether a V1 image already stored under an id the V1 view needs may stand for the image the
 * view would write there. The ids of a V2 image's V1 view are predictable (ChainIDs, the config
 * digest: lib/bridge/v2-to-v1.ts), and V1 ids are not content addresses: anyone who may push
 * over V1 can take such an id first, with other bytes. The bridge never overwrites a V1 image,
 * so one of that id is reused only when it is complete and is the same image: the same
 * ancestry, the same JSON, and a layer of the same content (the same blob, or a layer whose
 * DiffID, computed by the bridge from its bytes, is the one the V2 config gives). Otherwise
 * the tag is not shown over V1, rather than shown with someone else's layer.
 */
import { isDeepStrictEqual } from 'node:util';
import type { V1View as V1Image } from '../../bridge/v2-to-v1.js';
import { exists, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { bridge, v1 } from '../../storage/paths.js';
import type { LayerFactsStore } from './layer-facts-store.js';

export type Reuse = { kind: 'absent' } | { kind: 'same' } | { kind: 'other'; reason: string };

/** What the V1 view makes an image's layer: the V2 blob (`berth/bridge/v1-layers/<id>`). */
export interface V1LayerRecord {
  digest: string;
  size: number;
}

export class V1Reuse {
  constructor(
    private readonly storage: StorageDriver,
    private readonly facts: LayerFactsStore,
  ) {}

  async check(image: V1Image & { ancestry: string[] }): Promise<Reuse> {
    const { id } = image;
    const json = await this.read(v1.imageJson(id));
    if (!json) return { kind: 'absent' };
    const taken = (why: string): Reuse => ({ kind: 'other', reason: `V1 image ${id} exists already ${why}; Berth does not overwrite it` });
    if (await exists(this.storage, v1.imageMark(id))) return taken('and is being uploaded');
    if (!isDeepStrictEqual(parsed(await this.read(v1.imageAncestry(id))), image.ancestry)) return taken('with another ancestry');
    // Compared as JSON values: the same image written by another encoder is the same image.
    const theirs = parsed(json);
    if (theirs === undefined || !isDeepStrictEqual(theirs, parsed(image.json))) return taken('with another JSON');
    return (await this.sameLayer(image)) ? { kind: 'same' } : taken('with another layer');
  }

  private async sameLayer(image: V1Image): Promise<boolean> {
    const { id } = image;
    // One the view made of the same blob: the common case (a layer shared by several images).
    if (!(await exists(this.storage, v1.imageLayer(id)))) {
      const record = parsed(await this.read(bridge.v1Layer(id))) as V1LayerRecord | undefined;
      if (record?.digest === image.layer.digest) return true;
    }
    const facts = await this.facts.ensure(id);
    return facts.ok && (facts.blob.digest === image.layer.digest || (image.diffId !== undefined && facts.diffId === image.diffId));
  }

  private async read(path: string): Promise<Buffer | null> {
    try {
      return await this.storage.getContent(path);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}

function parsed(bytes: Buffer | null): unknown {
  if (!bytes) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
