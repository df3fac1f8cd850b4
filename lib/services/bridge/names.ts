/**
 * Repository names across the protocols. V1 reads a one-part name as `library/<name>`
 * (docker/docker-registry `toolkit.py` parse_repository_name); V2 keeps names as written, and
 * a client that pulls `host/ubuntu` asks `/v2/ubuntu/…`. So a V1 repository `library/x` is
 * shown to V2 under both `library/x` and `x`, and a V2 repository `x` or `library/x` is V1's
 * `library/x`. Names outside the V2 grammar (V1 took anything) have no V2 form.
 *
 * The bridge keys its records by the V1 form written as a V2 name (`ns/repo`).
 */
import { type RepositoryName, repositoryKey } from '../../names/v1.js';
import { isName } from '../../names/v2.js';

/** The V2 names a V1 repository is shown under, first the one records are kept by; none when it has no V2 form. */
export function v2NamesOf(name: RepositoryName): string[] {
  const full = repositoryKey(name);
  if (!isName(full)) return [];
  return name.namespace === 'library' && !name.repository.includes('/') ? [full, name.repository] : [full];
}

/** The V1 repository a V2 name is. */
export function v1NameOf(v2name: string): RepositoryName {
  const slash = v2name.indexOf('/');
  return slash < 0 ? { namespace: 'library', repository: v2name } : { namespace: v2name.slice(0, slash), repository: v2name.slice(slash + 1) };
}

/** The key of the bridge's records for a V2 name (its V1 form). */
export function recordKeyOf(v2name: string): string {
  return repositoryKey(v1NameOf(v2name));
}
