/**
 * Where V1's services let another part of Berth follow what they do (the V1 ⇄ V2 bridge),
 * without knowing it. Every hook is optional; without them the V1 services behave as
 * docker-registry did.
 */
import type { RepositoryName } from '../../names/v1.js';

export interface V1Hooks {
  /** An image's checksum was accepted: the image is complete. Fire and forget. */
  imageComplete?(id: string): void;
  /**
   * A tag is being written (`id`) or deleted (null). `write` changes the V1 tag itself; the
   * hook runs it (serialised with whatever else touches that tag) and records the change.
   */
  tagWrite?(name: RepositoryName, tag: string, id: string | null, write: () => Promise<void>): Promise<void>;
  /** Before a tag (or every tag of a repository) is read: let pending changes to it land. */
  settle?(name: RepositoryName, tag?: string): Promise<void>;
  /** The layer of an image that stores none of its own (one made from a V2 image): its storage key and size. */
  layerOf?(id: string): Promise<{ key: string; size: number } | null>;
}
