/**
 * Where V2's services let another part of Berth follow what they do (the V1 ⇄ V2 bridge),
 * without knowing it. Every hook is optional; without them the V2 services behave as
 * registry:2 does.
 */
import type { Digest } from '../../checksums/digest.js';

export interface ManifestAlternates {
  /** the schema1 form, for clients that list no schema2 (or nothing at all) */
  schema1?: Digest;
  /** the OCI form, for clients that list OCI manifests but not Docker's */
  oci?: Digest;
}

export interface V2Hooks {
  /**
   * A tag is being pointed at `digest` or deleted (null). `write` changes the V2 tag itself;
   * the hook runs it (serialised with whatever else touches that tag) and records the change.
   */
  tagWrite?(name: string, tag: string, digest: Digest | null, write: () => Promise<void>): Promise<void>;
  /** Before a tag (or every tag of a repository) is read: let pending changes to it land. */
  settle?(name: string, tag?: string): Promise<void>;
  /** The storage key of a blob's bytes that V2 does not hold under its own key, or null. */
  blobAlias?(digest: Digest): Promise<string | null>;
  /** Other forms of the manifest a tag shows, for content negotiation by tag. */
  alternates?(name: string, tag: string, digest: Digest): Promise<ManifestAlternates | null>;
}
