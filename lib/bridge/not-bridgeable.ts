/**
 * Why an image cannot be shown through the other protocol. Not a failure of the request that
 * asks: the V2 view of a V1 image, or the V1 view of a V2 image, is simply absent (a 404 there),
 * and the image stays whole in the protocol it was pushed with. The bridge is derived lazily
 * and leniently, never a push-time precondition: the OCI conformance suite pushes configs whose
 * diff_ids do not match the manifest's layers, manifests without layers, and artifacts, and all
 * of them must be accepted (opencontainers/distribution-spec v1.1.1 conformance/setup.go).
 */
export type NotBridgeableReason =
  /** V1 → V2: a stored V1 JSON that Docker could not read as its V1Image struct */
  | 'invalid-v1-json'
  /** V1 → V2: ids or parent links that Docker ≥1.10 refuses (moby distribution/pull_v2.go verifySchema1Manifest) */
  | 'broken-chain'
  /** V2 → V1: a manifest or index that is not the JSON its media type promises */
  | 'invalid-manifest'
  /** V2 → V1: the config is not a JSON object, or its rootfs cannot be read */
  | 'invalid-config'
  /** V2 → V1: rootfs.diff_ids does not match the manifest's layers (the OCI conformance suite pushes such images) */
  | 'layer-count'
  /** V2 → V1: an OCI manifest may have no layers; a V1 image always has one */
  | 'no-layers'
  /** V2 → V1: a foreign, non-distributable or non-tar layer */
  | 'layer-type'
  /** V2 → V1: an artifact, or a config that is not an image config */
  | 'not-an-image'
  /** V2 → V1: a digest whose hex is not a 64-character V1 id (sha512) */
  | 'digest-algorithm';

export class NotBridgeableError extends Error {
  override readonly name = 'NotBridgeableError';

  constructor(
    readonly reason: NotBridgeableReason,
    message: string,
  ) {
    super(message);
  }
}

export function isNotBridgeable(err: unknown): err is NotBridgeableError {
  return err instanceof NotBridgeableError;
}
