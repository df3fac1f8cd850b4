/**
 * A schema1 manifest (what Docker 1.6–1.9 push over V2) as V1 clients see it: it already is a
 * V1 chain. Each `history[i].v1Compatibility` is the JSON of one V1 image, as the engine had it,
 * and `fsLayers[i].blobSum` its layer; both run newest first. So the V1 images are exactly
 * those, ids and JSON included, which is also what a Docker 1.5 host pushing the same image
 * would have sent (moby/moby v1.6.0 graph/push.go pushV2Repository builds the manifest from
 * the V1 graph).
 *
 * The checks are Docker ≥1.10's for a schema1 pull (moby/moby distribution/pull_v2.go
 * verifySchema1Manifest and fixManifestLayers): equal lengths, consecutive duplicate ids
 * collapsed, then a clean chain of 64-hex ids. A tarsum blobSum (Docker 1.5's pre-release
 * dialect) is no blob this registry holds.
 */
import { parseDigest } from '../checksums/digest.js';
import { BridgeMediaType } from './media-types.js';
import { NotBridgeableError } from './not-bridgeable.js';
import { checkChain, readV1Image } from './v1-image.js';
import type { V1View } from './v2-to-v1.js';

/** The V1 images of a schema1 payload, base first. Layer sizes are unknown here (-1): the caller reads them from storage. */
export function v1ImagesFromSchema1(payload: Buffer): V1View[] {
  let doc: { fsLayers?: unknown; history?: unknown };
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new NotBridgeableError('invalid-manifest', `schema1: ${(err as Error).message}`);
  }
  const layers = doc.fsLayers;
  const history = doc.history;
  if (!Array.isArray(layers) || !Array.isArray(history) || layers.length === 0 || layers.length !== history.length)
    throw new NotBridgeableError('invalid-manifest', 'schema1: fsLayers and history must be non-empty and of equal length');
  const entries = history.map((h, i) => {
    const text = (h as { v1Compatibility?: unknown })?.v1Compatibility;
    const blobSum = (layers[i] as { blobSum?: unknown })?.blobSum;
    if (typeof text !== 'string') throw new NotBridgeableError('invalid-manifest', `schema1: history[${i}] has no v1Compatibility`);
    const digest = typeof blobSum === 'string' ? parseDigest(blobSum) : null;
    if (!digest) throw new NotBridgeableError('layer-type', `schema1: fsLayers[${i}].blobSum ${String(blobSum)} is not a blob digest`);
    const json = Buffer.from(text, 'utf8');
    return { json, fields: readV1Image(json), digest: digest.value };
  });
  // Newest first, with a run of one id (an old engine's quirk) counted once.
  const collapsed = entries.filter((e, i) => i === 0 || e.fields.id !== entries[i - 1]?.fields.id);
  const baseFirst = collapsed.reverse();
  checkChain(baseFirst.map((e) => e.fields));
  return baseFirst.map((e) => ({
    id: e.fields.id,
    json: e.json,
    layer: { digest: e.digest, size: -1, mediaType: BridgeMediaType.dockerLayerGzip },
    transcode: false,
  }));
}
