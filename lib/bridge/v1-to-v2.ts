/**
 * A V1-pushed image as V2 sees it: the image config and the schema2 or OCI manifest, byte for
 * byte what Docker ≥1.10 derives when it pulls the chain from a V1 registry (moby/moby
 * v17.03.2-ce distribution/pull_v1.go pullImage with image/v1/imagev1.go HistoryFromConfig and
 * MakeConfigFromV1Config; migrate/v1/migratev1.go does the same to an engine's own V1
 * images). That is also what the docker/migrator path (pull over V1, push over V2) put on
 * registries, so an image bridged here gets the image ID the same content got there.
 *
 * Every V1 image is one layer, empty ones included, and no history item is `empty_layer`
 * (moby/moby distribution/pull_v1.go, migrate/v1/migratev1.go): Docker's own rule, chosen over
 * containerd's (remotes/docker/schema1/converter.go, which drops empty layers), since
 * the rule decides the image ID.
 *
 * One step of Docker's is skipped: when `docker_version` is below 1.8.3 (or missing) Docker
 * first round-trips the top JSON through its V1Image struct, which drops unknown fields and
 * writes zero values (moby/moby image/v1/imagev1.go MakeConfigFromV1Config,
 * noFallbackMinVersion). Reproducing it needs that struct as each engine version defined it,
 * so Berth leaves the JSON as it is, and for such images the config bytes, and the image ID,
 * differ from what that Docker computed. Within Berth the bytes are stable, which is what
 * pulling by digest needs.
 */
import { digestOf, parseDigest } from '../checksums/digest.js';
import { MediaType } from '../services/v2/manifest-types.js';
import { marshalIndent } from './go-indent.js';
import { compactRaw, marshalSortedObject } from './go-json.js';
import { goQuote } from './go-string.js';
import { GO_ZERO_TIME } from './go-time.js';
import { BridgeMediaType } from './media-types.js';
import { checkChain, readV1Image, type V1ImageFields } from './v1-image.js';

export interface V1ChainLink {
  /** the V1 JSON exactly as it was uploaded */
  json: Buffer;
  /** the DiffID of the image's layer (lib/bridge/layer-facts.ts) */
  diffId: string;
}

/** Keys MakeConfigFromV1Config deletes: V1-only ids, and the size moby calls inconsistent. */
const V1_ONLY_KEYS = ['id', 'parent', 'Size', 'parent_id', 'layer_id', 'throwaway'];

/**
 * The image config of a V1 chain given base first. Throws NotBridgeableError when a JSON
 * is unreadable or the ids and parents do not form the chain.
 */
export function imageConfigFromV1Chain(chain: readonly V1ChainLink[]): Buffer {
  const images = chain.map((link) => readV1Image(link.json));
  checkChain(images);
  const diffIds = chain.map((link) => {
    const d = parseDigest(link.diffId);
    if (d?.algorithm !== 'sha256') throw new TypeError(`imageConfigFromV1Chain: ${link.diffId} is not a sha256 DiffID`);
    return d.value;
  });
  const top = images.at(-1) as V1ImageFields;
  const config = new Map<string, Uint8Array>(top.entries);
  for (const key of V1_ONLY_KEYS) config.delete(key);
  config.set('rootfs', Buffer.from(`{"type":"layers","diff_ids":[${diffIds.map((d) => goQuote(d)).join(',')}]}`));
  config.set('history', Buffer.from(`[${images.map(historyItem).join(',')}]`));
  // OCI requires both (opencontainers/image-spec config.md); images from before Docker 0.7 or so
  // carry neither. An empty string is what Go's omitempty would have left out, and is no more
  // use to a client.
  for (const [key, fallback] of [
    ['architecture', '"amd64"'],
    ['os', '"linux"'],
  ] as const) {
    const value = config.get(key);
    if (value === undefined || ['null', '""'].includes(compactRaw(value).toString())) config.set(key, Buffer.from(fallback));
  }
  return marshalSortedObject(config);
}

/**
 * One `history` item as HistoryFromConfig makes it, fields in the order of moby's
 * image.History struct. `created` is the stored string itself: parsing it into a Date would
 * lose nanoseconds and change the digest; Go would re-format it, which for
 * RFC 3339 strings Docker wrote is the same text.
 */
function historyItem(image: V1ImageFields): string {
  const parts = [`"created":${image.created ? compactRaw(image.created).toString('utf8') : `"${GO_ZERO_TIME}"`}`];
  if (image.author) parts.push(`"author":${goQuote(image.author)}`);
  const createdBy = (image.cmd ?? []).join(' ');
  if (createdBy) parts.push(`"created_by":${goQuote(createdBy)}`);
  if (image.comment) parts.push(`"comment":${goQuote(image.comment)}`);
  return `{${parts.join(',')}}`;
}

export interface BlobRef {
  digest: string;
  size: number;
}

export interface LayerRef extends BlobRef {
  mediaType: string;
}

export interface ImageManifestParts {
  config: BlobRef;
  /** base first */
  layers: readonly LayerRef[];
}

/**
 * The schema2 manifest, laid out as distribution's manifest/schema2/manifest.go FromStruct
 * writes it: MarshalIndent with three spaces, descriptor keys mediaType, size, digest.
 */
export function schema2Manifest(parts: ImageManifestParts): Buffer {
  return imageManifest(MediaType.dockerManifest, BridgeMediaType.dockerConfig, parts);
}

/**
 * The same image as an OCI image manifest. It carries `mediaType`: the image spec makes it
 * optional, but containerd and others classify a manifest by it, and Berth's own
 * lib/services/v2/manifest-types.ts reads a manifest without one as OCI only by default.
 * Layout as distribution's manifest/ocischema/manifest.go FromStruct (the same struct order and
 * indentation as schema2). The config bytes are those of the schema2 image: the fields an OCI
 * config defines are Docker's, and readers ignore the others (opencontainers/image-spec
 * config.md: extra fields are implementation specific).
 */
export function ociManifest(parts: ImageManifestParts): Buffer {
  return imageManifest(MediaType.ociManifest, BridgeMediaType.ociConfig, parts);
}

function imageManifest(mediaType: string, configType: string, { config, layers }: ImageManifestParts): Buffer {
  return marshalIndent(
    {
      schemaVersion: 2,
      mediaType,
      config: descriptor(configType, config),
      layers: layers.map((layer) => descriptor(layer.mediaType, layer)),
    },
    '   ',
  );
}

/**
 * A descriptor. distribution's Go struct tags `size` omitempty; it is always written here, since
 * OCI requires it and a zero-byte blob (a raw empty V1 layer) is still a blob of size 0.
 */
function descriptor(mediaType: string, blob: BlobRef) {
  if (!parseDigest(blob.digest)) throw new TypeError(`manifest: ${blob.digest} is not a digest`);
  if (!Number.isSafeInteger(blob.size) || blob.size < 0) throw new TypeError(`manifest: ${blob.size} is not a blob size`);
  return { mediaType, size: blob.size, digest: blob.digest };
}

/** The digest of generated bytes, for `config.digest` and the manifest's own digest. */
export const blobRefOf = (bytes: Buffer): BlobRef => ({ digest: digestOf(bytes).value, size: bytes.length });
