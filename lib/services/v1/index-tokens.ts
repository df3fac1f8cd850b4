/**
 * The tokens the index emulation hands out on `PUT /v1/repositories/<repo>/` and `…/images`
 * (docker/docker-registry `docker_registry/index.py` `generate_headers`). Docker refuses an
 * index answer without one, and presents it back on the registry calls. In standalone mode
 * nothing checks it, so it is a random signature, as the old one was; with Berth's own auth it
 * is signed (lib/auth/v1-signed-tokens.ts) and the image routes check it.
 */
import { randomInt } from 'node:crypto';
import type { V1SignedTokens } from '../../auth/v1-signed-tokens.js';
import type { RepositoryName } from '../../names/v1.js';
import { quotePlus } from '../../storage/py-quote.js';

export type IndexAccess = 'read' | 'write' | 'delete';

const SIGNATURE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export class IndexTokens {
  constructor(private readonly signer: V1SignedTokens | null = null) {}

  /**
   * `Token signature=<16 random>,repository="<ns>/<repo>",access=<access>`. The repository is
   * quote_plus-ed, as docker-registry's parse_repository_name had done before generate_headers
   * saw it (`a/b/c` → `a/b%2Fc`), and so is the namespace here: quote_plus leaves only
   * `A-Z a-z 0-9 _ . - + %`, so no `"`, `,`, `\` or control character can reach the value.
   * Names a Docker client accepts come out unchanged.
   */
  mint(repo: RepositoryName, access: IndexAccess, user?: string): string {
    // An anonymous reader (auth.anonymous_read) gets a signed token too, for no user: Docker
    // sends back whatever the index gave, and an unsigned one would be refused on the image calls.
    if (this.signer) return this.signer.mint({ user: user ?? '', repository: `${repo.namespace}/${repo.repository}`, access });
    const signature = Array.from({ length: 16 }, () => SIGNATURE_CHARS[randomInt(SIGNATURE_CHARS.length)]).join('');
    return `Token signature=${signature},repository="${quotePlus(repo.namespace)}/${quotePlus(repo.repository)}",access=${access}`;
  }
}
