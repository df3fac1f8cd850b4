/**
 * The tokens Berth's V1 index hands out when its own auth is on, and takes back.
 *
 * Docker 1.x asks the index (`PUT /v1/repositories/<repo>/`, `GET …/images`) with Basic
 * credentials and `X-Docker-Token: true`; the answer's `X-Docker-Token` (and
 * `WWW-Authenticate`) carries a token, which Docker then sends on every registry call of that
 * push or pull as `Authorization: Token <value>`, without reading it (moby v1.3
 * `registry/session.go`, setTokenAuth). docker-registry's index put the whole
 * `Token signature=…,repository="ns/repo",access=write` into both headers
 * (docker/docker-registry `docker_registry/index.py` generate_headers), so what comes back is
 * `Token Token signature=…`; Docker Hub sent the value without the scheme. Both are accepted.
 *
 * The form is docker-registry's, which its toolkit.py and other readers of these tokens
 * parse (`repository="…"`, `access=…`), plus the user and an expiry:
 *
 *   Token signature=<hex HMAC-SHA256>,repository="ns/repo",access=write,user=<percent-encoded>,expires=<unix seconds>
 *
 * The signature covers everything after `signature=…,` byte for byte, so no field can be
 * changed, dropped or added. The user name is percent-encoded so that a `"`, `,` or space in it
 * cannot end a field; in the repository, `%` and what is not ASCII are (a header holds bytes,
 * and `library/．．` is a V1 name), so the names real clients use read as they are. The key is derived from `secret_key`, so a token is good on every worker
 * and after a restart, and is worthless elsewhere.
 *
 * Docker 1.x reuses the write token of a push for the GET json lookups it makes on the way
 * (docker/docker-registry issue #541): verify returns the grant as signed and the caller
 * decides what it allows (a write token may read).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type V1Access = 'read' | 'write' | 'delete';

export interface V1Grant {
  user: string;
  /** `namespace/name` */
  repository: string;
  access: V1Access;
}

const SIGNED = /^token\s+(?:token\s+)?signature=([0-9a-f]{64}),(.*)$/i;
const FIELDS = /^repository="([^"]*)",access=(read|write|delete),user=([^",\s]*),expires=(\d{1,15})$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a control character would end the header
const UNQUOTABLE = /["\\\u0000-\u001f\u007f]/;

export class V1SignedTokens {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds = 3600,
    private readonly now: () => number = Date.now,
  ) {
    if (secret === '') throw new Error('V1 tokens need a secret key');
    // A key of its own: secret_key may sign other things, and these tokens must not be one of them.
    this.key = createHmac('sha256', secret).update('berth v1 index token').digest();
  }

  /** The header value, `Token signature=…`, for X-Docker-Token and WWW-Authenticate. */
  mint(grant: V1Grant): string {
    if (UNQUOTABLE.test(grant.repository)) throw new Error(`repository ${JSON.stringify(grant.repository)} cannot be put in a token`);
    const expires = Math.floor(this.now() / 1000) + this.ttlSeconds;
    const repository = grant.repository.replace(/[%\u{80}-\u{10ffff}]/gu, (ch) => percentEncoded(ch));
    const fields = `repository="${repository}",access=${grant.access},user=${encodeURIComponent(grant.user)},expires=${expires}`;
    return `Token signature=${this.sign(fields).toString('hex')},${fields}`;
  }

  /** The grant of a genuine, unexpired token; null for anything else (absent, another scheme, forged, altered, expired). */
  verify(authorization: string | undefined): V1Grant | null {
    const signed = authorization ? SIGNED.exec(authorization) : null;
    if (!signed) return null;
    const [, signature = '', fields = ''] = signed;
    if (!timingSafeEqual(Buffer.from(signature, 'hex'), this.sign(fields))) return null;
    const parsed = FIELDS.exec(fields);
    if (!parsed) return null;
    const [, repository = '', access, user = '', expires] = parsed;
    if (Math.floor(this.now() / 1000) >= Number(expires)) return null;
    try {
      return { user: decodeURIComponent(user), repository: decodeURIComponent(repository), access: access as V1Access };
    } catch {
      return null;
    }
  }

  private sign(fields: string): Buffer {
    return createHmac('sha256', this.key).update(fields, 'utf8').digest();
  }
}

/** `%XX` for each UTF-8 byte (a lone surrogate, which no URL decodes to, becomes U+FFFD's). */
function percentEncoded(ch: string): string {
  return [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
