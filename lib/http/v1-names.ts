/**
 * The V1 names of a request, checked: each failure is the old registry's own error (or, for
 * repository names it never checked, Berth's). The grammar itself is lib/names/v1.ts.
 */
import { V1 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { isImageId, isV1Tag, parseRepositoryName, type RepositoryName } from '../names/v1.js';

export type { RepositoryName };

export function parseRepository(raw: string): RepositoryName {
  const parsed = parseRepositoryName(raw);
  if (parsed.ok) return parsed.name;
  throw new RegistryError(parsed.reason === 'empty' ? V1.REPOSITORY_NOT_FOUND : V1.INVALID_REPOSITORY_NAME);
}

export function checkImageId(id: string): string {
  if (!isImageId(id)) throw new RegistryError(V1.INVALID_IMAGE_ID);
  return id;
}

export function checkTag(tag: string): string {
  if (!isV1Tag(tag)) throw new RegistryError(V1.INVALID_TAG);
  return tag;
}
