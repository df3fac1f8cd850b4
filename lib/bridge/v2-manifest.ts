/**
 * Which image of a V2 tag the V1 view shows, and what that image refers to. An index or
 * manifest list is narrowed to one platform, linux/amd64 unless configured otherwise, as
 * distribution did when it answered an old client with schema1 for a manifest list
 * (distribution/distribution registry/handlers/manifests.go defaultArch, defaultOS).
 * Validation is Berth's own (lib/services/v2/manifest-types.ts); a document it refuses is simply
 * not bridgeable.
 */
import { describeManifest, MediaType, parseManifestJson } from '../services/v2/manifest-types.js';
import { NotBridgeableError } from './not-bridgeable.js';
import type { V2Layer } from './v2-to-v1.js';

export interface Platform {
  os: string;
  architecture: string;
  /** when given, the entry's variant must equal it; when not, the first entry of os/architecture wins */
  variant?: string | undefined;
}

export const DEFAULT_V1_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

export interface ChosenManifest {
  digest: string;
  size: number;
  mediaType: string | undefined;
}

function read(bytes: Buffer) {
  try {
    const doc = parseManifestJson(bytes);
    return { doc, info: describeManifest(doc) };
  } catch (err) {
    throw new NotBridgeableError('invalid-manifest', (err as Error).message);
  }
}

/** The index entry for `want`, or null when the index has none (the tag then has no V1 view). */
export function pickPlatform(index: Buffer, want: Platform = DEFAULT_V1_PLATFORM): ChosenManifest | null {
  const { info } = read(index);
  if (info.kind !== 'index') throw new NotBridgeableError('invalid-manifest', `a ${info.mediaType} is not an index`);
  const hit = info.children.find(
    (m) =>
      m.platform?.os === want.os &&
      m.platform.architecture === want.architecture &&
      (want.variant === undefined || m.platform.variant === want.variant) &&
      // A nested index has no layers to show.
      m.mediaType !== MediaType.ociIndex &&
      m.mediaType !== MediaType.dockerList,
  );
  return hit ? { digest: hit.digest.value, size: hit.size, mediaType: hit.mediaType } : null;
}

export interface ImageRefs {
  configDigest: string;
  configSize: number;
  configMediaType: string;
  artifactType: string | undefined;
  /** base first */
  layers: V2Layer[];
}

/**
 * The config and layers of an image manifest (schema2 or OCI), for v1ImagesFromImage once the
 * config blob is read. Refuses indexes, schema1, OCI artifact manifests, and layers fetched from
 * elsewhere (`urls`): a V1 layer must be a blob this registry holds.
 */
export function imageManifestRefs(manifest: Buffer): ImageRefs {
  const { doc, info } = read(manifest);
  if (info.kind !== 'image' || info.mediaType === MediaType.ociArtifact)
    throw new NotBridgeableError('not-an-image', `a ${info.mediaType} has no V1 view${info.kind === 'index' ? ' (pick a platform first)' : ''}`);
  const config = doc.config as { digest: string; size: number; mediaType?: string };
  const layers = (doc.layers as Array<{ digest: string; size: number; mediaType?: string; urls?: unknown }>).map((l) => {
    if (Array.isArray(l.urls) && l.urls.length > 0) throw new NotBridgeableError('layer-type', `layer ${l.digest} is fetched from elsewhere (urls)`);
    return { digest: l.digest, size: l.size, mediaType: l.mediaType ?? '' };
  });
  return { configDigest: config.digest, configSize: config.size, configMediaType: config.mediaType ?? '', artifactType: info.artifactType, layers };
}
