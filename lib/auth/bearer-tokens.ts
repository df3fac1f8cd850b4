/**
 * V2 bearer-token auth against an existing token server (docker_auth, Harbor-style): the
 * registry only checks tokens, it never calls the server. The rules are distribution's
 * (`registry/auth/token/token.go` and `accesscontroller.go`; `docs/spec/auth/token.md`,
 * `jwt.md`, `scope.md`); lib/auth/bearer-keys.ts says which signing keys are trusted.
 *
 * jose does the JWS part (compact form, the `alg` allow-list, the key fitting the `alg`, the
 * ECDSA signature form, `crit`), where a slip is a forgery; node:crypto's X509Certificate does
 * the certificate chains jose does not. The claims are checked here, not by jose's jwtVerify,
 * because distribution's rules differ from its defaults: a token without `exp` is expired,
 * `aud` may be one string or a list, and the 60 s leeway applies at both ends exactly so.
 */
import { compactVerify, type JWSHeaderParameters } from 'jose';
import { readCertificateBundle, TrustedKeys, UntrustedKey } from './bearer-keys.js';

export interface BearerSettings {
  realm: string;
  service: string;
  issuer: string;
  /** a PEM file with one or more certificates */
  rootcertbundle: string;
}

export interface ResourceAccess {
  type: string;
  name: string;
  actions: string[];
}

export interface BearerGrant {
  subject: string;
  access: ResourceAccess[];
}

export type BearerCheck = { grant: BearerGrant } | { reason: string };

/**
 * What libtrust verified in distribution v2.8 (RSA PKCS#1 v1.5 and ECDSA). v3's default list
 * (`token.go`) adds PS*, EdDSA and HS*: HMAC has no place where the trust is a certificate's
 * public key (it is the old forgery: the public key used as the shared secret), and PS* and EdDSA
 * were never accepted by v2.8 nor are signed by docker_auth.
 */
export const BEARER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'];

/** `token.go`'s Leeway, for clock skew between registry and token server (RFC 7519 §4.1.4/4.1.5). */
export const LEEWAY_SECONDS = 60;

export class BearerTokens {
  private readonly keys: TrustedKeys;

  constructor(
    private readonly settings: BearerSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.keys = new TrustedKeys(readCertificateBundle(settings.rootcertbundle), now);
  }

  /** The verified token of an `Authorization: Bearer …` header; null for a missing or bad one. */
  async verify(authorization: string | undefined): Promise<BearerGrant | null> {
    const result = await this.check(authorization);
    return 'grant' in result ? result.grant : null;
  }

  /** verify(), with the reason a token was refused, for the log (distribution logs it at info). */
  async check(authorization: string | undefined): Promise<BearerCheck> {
    // accesscontroller.go: the scheme case-insensitively, one space, a non-empty token
    const match = /^bearer ([^ ]+)$/i.exec(authorization ?? '');
    const raw = match?.[1];
    if (!raw) return { reason: 'authorization token required' };
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(raw, (header: JWSHeaderParameters) => this.keys.signingKey(header), { algorithms: BEARER_ALGORITHMS }));
    } catch (err) {
      return { reason: err instanceof UntrustedKey ? err.message : `invalid token: ${(err as Error).message}` };
    }
    let claims: unknown;
    try {
      claims = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return { reason: 'malformed token: the claims are not JSON' };
    }
    return this.checkClaims(claims);
  }

  private checkClaims(claims: unknown): BearerCheck {
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return { reason: 'malformed token: the claims are not an object' };
    // Go's decoding leaves a missing or null claim at its zero value: no exp is expired since 1970
    const { iss, aud, access } = claims as Record<string, unknown>;
    const { sub = '', exp = 0, nbf = 0 } = withoutNulls(claims as Record<string, unknown>);
    if (iss !== this.settings.issuer) return { reason: `token from untrusted issuer: ${JSON.stringify(iss)}` };
    // types.go AudienceList: one string or a list of them
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!audiences.includes(this.settings.service)) return { reason: `token intended for another audience: ${JSON.stringify(aud)}` };
    if (typeof exp !== 'number' || typeof nbf !== 'number' || typeof sub !== 'string') return { reason: 'malformed token: exp, nbf or sub' };
    const now = this.now() / 1000;
    if (now > exp + LEEWAY_SECONDS) return { reason: `token expired at ${exp}, now ${Math.floor(now)}` };
    if (now < nbf - LEEWAY_SECONDS) return { reason: `token not valid before ${nbf}, now ${Math.floor(now)}` };
    const parsed = parseAccess(access);
    if (!parsed) return { reason: 'malformed token: the access claim is not a list of {type, name, actions}' };
    return { grant: { subject: sub, access: parsed } };
  }

  /**
   * May this grant do `action` on resource `name` of `type`? As distribution's accessSet: the
   * actions of every entry for that type and name together, `*` among them meaning all.
   */
  allows(grant: BearerGrant, name: string, action: string, type = 'repository'): boolean {
    return grant.access.some((a) => a.type === type && a.name === name && (a.actions.includes('*') || a.actions.includes(action)));
  }

  /**
   * The WWW-Authenticate value of a 401, as accesscontroller.go's `challengeParams` writes it:
   * `Bearer realm="…",service="…"`, then the scope the request needs (the catalog's is
   * `registry:catalog:*`), then the error, if a token was presented.
   */
  challenge(scope?: { name: string; actions: string[] } | { catalog: true }, error?: 'invalid_token' | 'insufficient_scope'): string {
    let value = `Bearer realm=${quote(this.settings.realm)},service=${quote(this.settings.service)}`;
    if (scope && 'catalog' in scope) value += `,scope=${quote('registry:catalog:*')}`;
    else if (scope && scope.actions.length > 0) value += `,scope=${quote(`repository:${scope.name}:${[...new Set(scope.actions)].join(',')}`)}`;
    if (error) value += `,error=${quote(error)}`;
    return value;
  }
}

function withoutNulls(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== null));
}

/** The `access` claim, or null if it is not distribution's `[]ResourceActions` shape (a token Go would fail to decode). */
function parseAccess(access: unknown): ResourceAccess[] | null {
  if (access === undefined || access === null) return [];
  if (!Array.isArray(access)) return null;
  const out: ResourceAccess[] = [];
  for (const entry of access) {
    if (entry === null) continue;
    if (typeof entry !== 'object' || Array.isArray(entry)) return null;
    const { type = '', name = '', actions = [] } = withoutNulls(entry as Record<string, unknown>);
    if (typeof type !== 'string' || typeof name !== 'string') return null;
    if (!Array.isArray(actions) || !actions.every((a) => typeof a === 'string')) return null;
    out.push({ type, name, actions });
  }
  return out;
}

/** Go's %q for the printable text of a realm, service or scope: quotes and backslashes escaped. */
function quote(text: string): string {
  return JSON.stringify(text);
}
