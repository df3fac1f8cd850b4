/**
 * Names in V1 URLs, as docker-registry read them (spec v1 §1.2): `<ns>/<repo>` with the
 * `library` namespace for one-part names, the image id rule of 0.9.1 and the tag rule of
 * HEAD. Each failure is the old registry's own error, except for repository names, which
 * the old registry never checked (see parseRepository).
 */
import { V1 } from '../errors/catalog.js';
import { RegistryError, v1Error } from '../errors/registry-error.js';
import { v1RepositoryStorable } from '../storage/paths.js';

export interface RepositoryName {
  namespace: string;
  repository: string;
}

const IMAGE_ID = /^([a-f0-9]{16}|[a-f0-9]{64})$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const MAX_NAME = 1024;

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f\\"]/;

/**
 * `ubuntu` → library/ubuntu; `a/b/c` → a, `b/c`; trailing slashes dropped. A name is refused
 * (400) when storage could not hold it in either V1 layout (the pre-0.8.1 one keeps the
 * namespace unquoted) or when it has no business in a name or a header: an empty, `.` or `..`
 * part, a control character (CR/LF/NUL), a backslash or a double quote. What real clients
 * send is untouched: `+ % $ - _ .` inside a part, and three-part names.
 */
export function parseRepository(raw: string): RepositoryName {
  const trimmed = raw.replace(/\/+$/, '');
  if (trimmed === '') throw v1Error(404, 'Repository not found');
  const parts = trimmed.split('/');
  if (trimmed.length > MAX_NAME || UNSAFE.test(trimmed) || parts.some((p) => p === '' || p === '.' || p === '..')) throw invalidName();
  const name = parts.length === 1 ? { namespace: 'library', repository: trimmed } : { namespace: parts[0] as string, repository: parts.slice(1).join('/') };
  if (!v1RepositoryStorable(name.namespace, name.repository)) throw invalidName();
  return name;
}

const invalidName = () => new RegistryError(V1.INVALID_REPOSITORY_NAME);

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
