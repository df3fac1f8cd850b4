/**
 * Token checks of a V1 registry that is not its own index (docker/docker-registry
 * `docker_registry/toolkit.py` `check_token`, `validate_token`): the client's `Authorization:
 * Token signature=…,repository="ns/repo",access=…` is validated by asking `index_endpoint` for the
 * repository's images with the same header; the ids the index answers are stored as
 * `_images_list`, against which `PUT json` is checked.
 *
 * Two old faults are fixed: a write token also reads (Docker reuses it for the GET json
 * lookups of a push, issue #541), HEAD counts as GET, and a validation is remembered for a
 * minute instead of costing an index round-trip on every request.
 */
import { V1 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { pyJson } from '../../formats/py-json.js';
import type { RepositoryName } from '../../names/v1.js';
import type { StorageDriver } from '../../storage/driver.js';
import { v1 } from '../../storage/paths.js';
import { quotePlus, unquotePlus } from '../../storage/py-quote.js';

export interface Token {
  repository: string;
  access: string | undefined;
  raw: string;
}

const REMEMBER_MS = 60_000;
const INDEX_TIMEOUT_MS = 10_000;

/** `Token signature=abc,repository="foo/bar",access=write` → its fields; null when not a token. */
export function parseToken(authorization: string | undefined): Token | null {
  if (!authorization || !/^token\s/i.test(authorization)) return null;
  const fields: Record<string, string> = {};
  for (const [, key, value] of authorization.matchAll(/(\w+)[:=][\s"]?([^",]+)"?/g)) fields[key as string] = value as string;
  if (!fields.repository) return null;
  return { repository: fields.repository, access: fields.access, raw: authorization };
}

export class TokenService {
  private readonly validated = new Map<string, number>();

  constructor(
    private readonly indexEndpoint: string,
    private readonly storage: StorageDriver,
  ) {}

  /** Throws 401 unless the token allows `method` on `repository` (when the route names one). */
  async authorize(authorization: string | undefined, method: string, repository: RepositoryName | null): Promise<Token> {
    const token = parseToken(authorization);
    if (!token) throw unauthorized();
    if (repository && token.repository !== `${repository.namespace}/${quotePlus(repository.repository)}`) throw unauthorized();
    if (!accessAllows(token.access, method)) throw unauthorized();
    await this.validate(token);
    return token;
  }

  /** `PUT json` in token mode: the image must be one the index listed for the token's repository. */
  async checkImageBelongs(token: Token, imageId: string): Promise<void> {
    const { namespace, repository } = tokenRepository(token);
    const list = await this.storage.getContent(v1.imagesList(namespace, repository)).then(
      (b) => JSON.parse(b.toString('utf8')) as string[],
      () => [] as string[],
    );
    if (!list.includes(imageId)) throw new RegistryError(V1.IMAGE_NOT_IN_REPOSITORY);
  }

  /**
   * docker-registry's validate_parent_access: may the token's holder use this image? The index
   * answers `GET /v1/repositories/<ns>/<repo>/layer/<id>/access` with `{"access": true}`.
   */
  async imageAccess(token: Token, imageId: string): Promise<boolean> {
    const [ns, repo] = token.repository.split('/') as [string, string];
    try {
      const res = await fetch(`${this.indexEndpoint}/v1/repositories/${ns}/${repo}/layer/${imageId}/access`, {
        headers: { Authorization: token.raw },
        signal: AbortSignal.timeout(INDEX_TIMEOUT_MS),
      });
      return res.status === 200 && ((await res.json()) as { access?: unknown }).access === true;
    } catch {
      return false;
    }
  }

  /** Reads of an image through a token for a private repository need the index's yes (0.8.1+); a refusal looks like a missing image. */
  async checkImageRead(token: Token, imageId: string): Promise<void> {
    const { namespace, repository } = tokenRepository(token);
    const isPrivate = await this.storage.stat(v1.privateFlag(namespace, repository)).then(
      () => true,
      () => false,
    );
    if (isPrivate && !(await this.imageAccess(token, imageId))) throw new RegistryError(V1.IMAGE_NOT_FOUND);
  }

  private async validate(token: Token): Promise<void> {
    const seen = this.validated.get(token.raw);
    if (seen && seen > Date.now() - REMEMBER_MS) return;
    const parts = token.repository.split('/');
    if (parts.length !== 2) throw unauthorized();
    const [ns, repo] = parts as [string, string];
    const name = tokenRepository(token);
    let ids: string[];
    try {
      const res = await fetch(`${this.indexEndpoint}/v1/repositories/${ns}/${repo}/images`, {
        headers: { Authorization: token.raw },
        signal: AbortSignal.timeout(INDEX_TIMEOUT_MS),
      });
      if (res.status !== 200) throw new Error(`index answered ${res.status}`);
      const body = (await res.json()) as Array<{ id?: unknown }>;
      ids = body.map((e) => e.id).filter((id): id is string => typeof id === 'string');
    } catch {
      throw unauthorized();
    }
    await this.storage.putContent(v1.imagesList(name.namespace, name.repository), pyJson(ids));
    this.validated.set(token.raw, Date.now());
    if (this.validated.size > 10_000) this.validated.clear();
  }
}

/** The token names `ns/<quote_plus(repo)>`; storage paths quote the plain name themselves. */
function tokenRepository(token: Token): RepositoryName {
  const [namespace, quoted] = token.repository.split('/') as [string, string];
  return { namespace, repository: unquotePlus(quoted) };
}

function accessAllows(access: string | undefined, method: string): boolean {
  if (access === 'write') return ['PUT', 'POST', 'GET', 'HEAD'].includes(method);
  if (access === 'read') return method === 'GET' || method === 'HEAD';
  if (access === 'delete') return method === 'DELETE';
  return true; // other or missing access values passed in the old registry too
}

function unauthorized() {
  return new RegistryError(V1.REQUIRES_AUTHORIZATION, { headers: { 'WWW-Authenticate': 'Token' } });
}
