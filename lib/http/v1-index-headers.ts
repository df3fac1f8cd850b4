/**
 * The headers of docker-registry's index emulation (`index.py` `generate_headers`, spec v1
 * §1.5.12): `X-Docker-Token` and `WWW-Authenticate` (the same token), and
 * `X-Docker-Endpoints`, where Docker goes on to push or pull. The token carries the
 * repository name, so it is built so that no name can add a field or break the header.
 */
import { randomInt } from 'node:crypto';
import type { Context } from 'koa';
import { quotePlus } from '../storage/py-quote.js';
import type { RepositoryName } from './v1-names.js';

export type IndexAccess = 'read' | 'write' | 'delete';

const SIGNATURE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * `Token signature=<16 random>,repository="<ns>/<repo>",access=<access>`. The repository is
 * quote_plus-ed, as docker-registry's parse_repository_name had done before generate_headers
 * saw it (`a/b/c` → `a/b%2Fc`), and so is the namespace here: quote_plus leaves only
 * `A-Z a-z 0-9 _ . - + %`, so no `"`, `,`, `\` or control character can reach the value.
 * Names a Docker client accepts come out unchanged.
 */
export function indexToken(repo: RepositoryName, access: IndexAccess): string {
  const signature = Array.from({ length: 16 }, () => SIGNATURE_CHARS[randomInt(SIGNATURE_CHARS.length)]).join('');
  return `Token signature=${signature},repository="${quotePlus(repo.namespace)}/${quotePlus(repo.repository)}",access=${access}`;
}

export function indexHeaders(ctx: Context, registryEndpoints: string | null, repo: RepositoryName, access: IndexAccess): Record<string, string> {
  const token = indexToken(repo, access);
  return { 'X-Docker-Token': token, 'WWW-Authenticate': token, 'X-Docker-Endpoints': registryEndpoints ?? ctx.host };
}
