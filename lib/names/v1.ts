/**
 * Names in V1 URLs, as docker-registry read them (docker/docker-registry
 * `docker_registry/toolkit.py` `parse_repository_name`, `valid_image_id`; the tag rule of its
 * final `tags.py`): `<ns>/<repo>` with the `library` namespace for one-part names, the image
 * id rule of 0.9.1 and the tag rule of its master. Pure: what a failure means for a response
 * is the HTTP layer's business (http/v1-names.ts).
 */
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

export type RepositoryParse = { ok: true; name: RepositoryName } | { ok: false; reason: 'empty' | 'invalid' };

/**
 * `ubuntu` → library/ubuntu; `a/b/c` → a, `b/c`; trailing slashes dropped. A name is refused
 * when storage could not hold it in either V1 layout (the pre-0.8.1 one keeps the namespace
 * unquoted) or when it has no business in a name or a header: an empty, `.` or `..` part, a
 * control character (CR/LF/NUL), a backslash or a double quote. What real clients send is
 * untouched: `+ % $ - _ .` inside a part, and three-part names.
 */
export function parseRepositoryName(raw: string): RepositoryParse {
  const trimmed = raw.replace(/\/+$/, '');
  if (trimmed === '') return { ok: false, reason: 'empty' };
  const parts = trimmed.split('/');
  if (trimmed.length > MAX_NAME || UNSAFE.test(trimmed) || parts.some((p) => p === '' || p === '.' || p === '..')) return { ok: false, reason: 'invalid' };
  const name = parts.length === 1 ? { namespace: 'library', repository: trimmed } : { namespace: parts[0] as string, repository: parts.slice(1).join('/') };
  if (!v1RepositoryStorable(name.namespace, name.repository)) return { ok: false, reason: 'invalid' };
  return { ok: true, name };
}

export function isImageId(value: string): boolean {
  return IMAGE_ID.test(value);
}

export function isV1Tag(value: string): boolean {
  return TAG.test(value);
}

/** `ns/repo`, the form tokens, logs and the index use. */
export function repositoryKey(name: RepositoryName): string {
  return `${name.namespace}/${name.repository}`;
}
