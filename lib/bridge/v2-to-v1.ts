/**
 * A V2-pushed image as V1 clients see it: one V1 image per layer, as Docker ≥1.10 made them
 * when it pushed to a V1 registry (moby/moby v17.03.2-ce distribution/push_v1.go, with
 * image/v1/imagev1.go MakeV1ConfigFromConfig).
 *
 * - Below the top, layer k is a "dependency image" whose id is the hex of ChainID(L0..Lk) and
 *   whose JSON is only `{"id":…}` or `{"id":…,"parent":…}`. The same stack of layers gets the
 *   same id in every image and tag, so a V1 client's "already exists" checks see it once.
 * - The top image's id is the hex of the config digest, i.e. the image ID; its JSON is the
 *   config minus the fields V1 never had, with `id` and `parent` set.
 *
 * This scheme, not distribution's schema1 builder (one image per history item), because it is
 * what the world's V1 registries received from modern Docker, needs no history to line up with
 * the layers, and shares nothing with a schema1 view that modern clients no longer request.
 */
import { digestOf, parseDigest } from '../checksums/digest.js';
import { chainIds } from './chain-id.js';
import { goField, marshalSortedObject, parseArrayElements, parseObjectEntries, type RawEntry, rawKind } from './go-json.js';
import { goQuote, goUnquote } from './go-string.js';
import { isImageConfigType, tarLayerCompression } from './media-types.js';
import { NotBridgeableError } from './not-bridgeable.js';

export interface V2Layer {
  digest: string;
  size: number;
  mediaType: string;
}

export interface V2Image {
  /** the config blob exactly as stored */
  configBytes: Buffer;
  configDigest: string;
  configMediaType: string;
  /** the manifest's artifactType, if it has one */
  artifactType?: string | undefined;
  /** base first, as the manifest lists them */
  layers: readonly V2Layer[];
}

export interface V1View {
  id: string;
  json: Buffer;
  layer: V2Layer;
  /**
   * The blob cannot be served to a V1 client as it is: zstd, which no V1-era Docker reads.
   * Serve a gzip or plain-tar transcode instead (moby/moby v17.03.2-ce pkg/archive/archive.go
   * DecompressStream reads gzip, bzip2, xz or a plain tar), with X-Docker-Size its length: the
   * client takes it as the layer's size for progress and resumed downloads (moby/moby
   * v17.03.2-ce registry/session.go GetRemoteImageJSON, GetRemoteImageLayer).
   */
  transcode: boolean;
  /**
   * The layer's DiffID as the config gives it (absent for a schema1 image, which has none):
   * what a V1 image of the same id must hold to stand for this one.
   */
  diffId?: string;
}

/**
 * Keys of moby's image.Image struct that V1 JSON never had: MakeV1ConfigFromConfig deletes
 * every json name of the struct's own fields except `parent`, which is overwritten instead.
 */
const IMAGE_ONLY_KEYS = ['rootfs', 'history', 'os.version', 'os.features'];

/**
 * The V1 images of a V2 image, base first (the top, the image itself, last). Throws
 * NotBridgeableError for what a V1 client cannot be shown: artifacts, configs that are not
 * image configs or whose diff_ids do not match the layers, images without layers, layers that
 * are not tar blobs a registry holds.
 */
export function v1ImagesFromImage(image: V2Image): V1View[] {
  if (image.artifactType) throw new NotBridgeableError('not-an-image', `an artifact (${image.artifactType}), not an image`);
  if (!isImageConfigType(image.configMediaType))
    throw new NotBridgeableError('not-an-image', `config media type ${image.configMediaType} is not an image config`);
  if (image.layers.length === 0) throw new NotBridgeableError('no-layers', 'the image has no layers; a V1 image always has one');
  for (const layer of image.layers)
    if (tarLayerCompression(layer.mediaType) === null)
      throw new NotBridgeableError('layer-type', `layer ${layer.digest} is a ${layer.mediaType}, not a tar layer this registry holds`);
  const top = configId(image);

  let entries: RawEntry[];
  try {
    entries = parseObjectEntries(image.configBytes);
  } catch (err) {
    throw new NotBridgeableError('invalid-config', `config: ${(err as Error).message}`);
  }
  const diffIds = readDiffIds(entries);
  if (diffIds.length !== image.layers.length)
    throw new NotBridgeableError('layer-count', `config lists ${diffIds.length} diff_ids for ${image.layers.length} layers`);

  const ids = chainIds(diffIds).map((c) => c.slice('sha256:'.length));
  const views: V1View[] = image.layers.map((layer, k) => {
    const isTop = k === image.layers.length - 1;
    const id = isTop ? top : (ids[k] as string);
    const parent = k === 0 ? null : (ids[k - 1] as string);
    const json = isTop ? topJson(entries, id, parent) : Buffer.from(parent ? `{"id":"${id}","parent":"${parent}"}` : `{"id":"${id}"}`);
    return { id, json, layer, transcode: tarLayerCompression(layer.mediaType) === 'zstd', diffId: diffIds[k] as string };
  });
  return views;
}

/** The ancestry a V1 client asks for (GET /v1/images/<id>/ancestry): the top first. */
export function ancestryOf(views: readonly V1View[]): string[] {
  return views.map((v) => v.id).reverse();
}

function configId(image: V2Image): string {
  const d = parseDigest(image.configDigest);
  if (!d) throw new TypeError(`v1ImagesFromImage: ${image.configDigest} is not a digest`);
  if (d.algorithm !== 'sha256') throw new NotBridgeableError('digest-algorithm', `config digest ${d.value} is not sha256, so its hex is no V1 id`);
  // A config that is not the blob it names would give the V1 image a false id.
  if (digestOf(image.configBytes).value !== d.value) throw new Error(`v1ImagesFromImage: the config bytes are not ${d.value}`);
  return d.hex;
}

/** rootfs.diff_ids (all sha256), read as moby's image.RootFS struct reads it; NotBridgeableError when unreadable. */
export function readDiffIds(entries: readonly RawEntry[]): string[] {
  const bad = (why: string) => new NotBridgeableError('invalid-config', `config rootfs: ${why}`);
  const rootfs = goField(entries, 'rootfs');
  if (rootfs === undefined || rawKind(rootfs) !== 'object') throw bad('missing or not an object');
  const fields = parseObjectEntries(rootfs);
  const type = goField(fields, 'type');
  if (type === undefined || rawKind(type) !== 'string' || goUnquote(type) !== 'layers') throw bad('type is not "layers"');
  const list = goField(fields, 'diff_ids');
  if (list === undefined || rawKind(list) === 'null') return [];
  if (rawKind(list) !== 'array') throw bad('diff_ids is not a list');
  return parseArrayElements(list).map((raw) => {
    const d = rawKind(raw) === 'string' ? parseDigest(goUnquote(raw)) : null;
    if (!d) throw bad('a diff_id is not a digest');
    if (d.algorithm !== 'sha256') throw new NotBridgeableError('digest-algorithm', `diff_id ${d.value} is not sha256, so no V1 id derives from it`);
    return d.value;
  });
}

/**
 * The top image's JSON: the config as a Go map minus the image-only keys, `id` set, `parent`
 * overwritten or, for a single-layer image, removed (push_v1.go keeps a config's own
 * `"parent":"sha256:…"` there, which no V1 client accepts).
 */
function topJson(entries: readonly RawEntry[], id: string, parent: string | null): Buffer {
  const map = new Map<string, Uint8Array>(entries);
  for (const key of IMAGE_ONLY_KEYS) map.delete(key);
  map.set('id', Buffer.from(goQuote(id)));
  if (parent) map.set('parent', Buffer.from(goQuote(parent)));
  else map.delete('parent');
  return marshalSortedObject(map);
}
