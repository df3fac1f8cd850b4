/**
 * Names in V1 URLs, as docker-registry read them (spec v1 §1.2): `<ns>/<repo>` with the
 * `library` namespace for one-part names, the image id rule of 0.9.1 and the tag rule of
 * HEAD. Each failure is the old registry's own error.
 */
import { v1Error } from '../errors/registry-error.js';

export interface RepositoryName {
  namespace: string;
  repository: string;
}

const IMAGE_ID = /^([a-f0-9]{16}|[a-f0-9]{64})$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME = 1024;

/** `ubuntu` → library/ubuntu; `a/b/c` → a, `b/c`; trailing slashes dropped. */
export function parseRepository(raw: string): RepositoryName {
  const trimmed = raw.replace(/\/+$/, '');
  if (trimmed === '' || trimmed.length > MAX_NAME || trimmed.includes('\u0000')) throw v1Error(404, 'Repository not found');
  const slash = trimmed.indexOf('/');
  if (slash < 0) return { namespace: 'library', repository: trimmed };
  return { namespace: trimmed.slice(0, slash), repository: trimmed.slice(slash + 1) };
}

export function checkImageId(id: string): string {
  if (!IMAGE_ID.test(id)) throw v1Error(404, 'Invalid image ID');
  return id;
}

export function checkTag(tag: string): string {
  if (!TAG.test(tag)) throw v1Error(400, 'Invalid tag name (must match ^[\\w][\\w.-]{0,127}$)');
  return tag;
}

export function isImageId(value: string): boolean {
  return IMAGE_ID.test(value);
}
