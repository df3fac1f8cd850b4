/**
 * The media types the bridge writes and the ones it can read back as V1 layers: Docker's from
 * distribution/distribution docs/spec/manifest-v2-2.md, OCI's from opencontainers/image-spec
 * media-types.md (manifest types themselves live in lib/services/v2/manifest-types.ts).
 */
import type { Compression } from './compression.js';

export const BridgeMediaType = {
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  /** Not in Docker's schema2 spec, but what containerd's schema1 converter writes for an uncompressed layer, and what containerd and Docker read. */
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export type ManifestFlavor = 'docker' | 'oci';

/**
 * The layer media type for a blob of this compression, or null when the blob must first be
 * recompressed to gzip (a new blob): bzip2 and xz, which Docker once read but containerd and
 * OCI never did, and zstd under Docker's types, which have none for it (moby/moby
 * pkg/archive/archive.go DecompressStream; containerd/containerd archive/compression/compression.go;
 * the layer types of opencontainers/image-spec media-types.md and distribution/distribution
 * docs/spec/manifest-v2-2.md).
 */
export function layerMediaType(compression: Compression, flavor: ManifestFlavor): string | null {
  if (compression === 'gzip') return flavor === 'docker' ? BridgeMediaType.dockerLayerGzip : BridgeMediaType.ociLayerGzip;
  if (compression === 'none') return flavor === 'docker' ? BridgeMediaType.dockerLayerTar : BridgeMediaType.ociLayerTar;
  if (compression === 'zstd' && flavor === 'oci') return BridgeMediaType.ociLayerZstd;
  return null;
}

/** Layer types whose blob is a tar (compressed or not) that any registry holds: what a V1 image layer can be. */
const TAR_LAYERS: ReadonlyMap<string, Compression> = new Map<string, Compression>([
  [BridgeMediaType.dockerLayerGzip, 'gzip'],
  [BridgeMediaType.dockerLayerTar, 'none'],
  [BridgeMediaType.ociLayerGzip, 'gzip'],
  [BridgeMediaType.ociLayerTar, 'none'],
  [BridgeMediaType.ociLayerZstd, 'zstd'],
]);

/**
 * The compression of a distributable tar layer of this media type, or null for anything else:
 * foreign and non-distributable layers (their bytes are elsewhere), artifacts' blobs.
 */
export function tarLayerCompression(mediaType: string): Compression | null {
  return TAR_LAYERS.get(mediaType) ?? null;
}

export function isImageConfigType(mediaType: string): boolean {
  return mediaType === BridgeMediaType.dockerConfig || mediaType === BridgeMediaType.ociConfig;
}
