/**
 * Which public key may have signed a bearer token: the keys of the `rootcertbundle` and what
 * chains up to them. This follows distribution's `registry/auth/token/token.go`
 * (`VerifySigningKey`) in its v2.8 form, which v3 keeps for bundles (see below):
 *
 * - `x5c` in the JWS header: the leaf's key, once the chain verifies up to a bundle certificate;
 * - else `jwk`: the embedded key, if it is a bundle certificate's key, or if its own `x5c`
 *   chain verifies and the leaf certifies that very key;
 * - else `kid`: the bundle certificate whose key has that ID, in libtrust's form (what v2.8
 *   and docker_auth use; `docs/spec/auth/jwt.md` says how it is made) or as an RFC 7638
 *   thumbprint (what v3's `accesscontroller.go` also indexes its bundle by).
 *
 * A header with an `x5c` that fails is not given a second chance by its `kid`, as in both.
 * distribution v3's `jwks` file (keys with no certificate) is not offered here.
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
// libtrust's key ID (SHA-256 of the SubjectPublicKeyInfo, 240 bits, base32, 12 groups of 4), which schema1 signatures use too
import { keyId as libtrustKeyId } from '../services/v2/schema1.js';

/**
 * RFC 7638 thumbprint (SHA-256) of an RSA or EC key, '' for other kinds. distribution v3's
 * `GetRFC7638Thumbprint` (`registry/auth/token/util.go`) agrees for RSA; for EC it hashes the
 * curve's generator point instead of the key, a slip this does not copy.
 */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  let members: string;
  if (jwk.kty === 'RSA') members = `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`;
  else if (jwk.kty === 'EC') members = `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  else return '';
  return createHash('sha256').update(members).digest('base64url');
}

/**
 * Every CERTIFICATE block of a PEM file (other blocks are skipped, as distribution's
 * `getRootCerts` does). A block that does not parse, or a file with none, is a config error.
 */
export function readCertificateBundle(file: string): X509Certificate[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`token auth: unable to read the root certificate bundle ${file}: ${(err as Error).message}`);
  }
  const certs: X509Certificate[] = [];
  for (const [, type, body] of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    if (type !== 'CERTIFICATE' || body === undefined) continue;
    try {
      certs.push(new X509Certificate(Buffer.from(body.replace(/\s+/g, ''), 'base64')));
    } catch (err) {
      throw new Error(`token auth: certificate ${certs.length + 1} of ${file} does not parse: ${(err as Error).message}`);
    }
  }
  if (certs.length === 0) throw new Error(`token auth: the root certificate bundle ${file} holds no certificate (it needs the token server's signing root)`);
  return certs;
}

/** A header or certificate that does not lead to a trusted key; the message says why (for the log). */
export class UntrustedKey extends Error {}

export class TrustedKeys {
  private readonly byKid = new Map<string, KeyObject>();

  constructor(
    private readonly roots: X509Certificate[],
    private readonly now: () => number,
  ) {
    for (const root of roots) {
      this.byKid.set(libtrustKeyId(root.publicKey), root.publicKey);
      const thumbprint = jwkThumbprint(root.publicKey);
      if (thumbprint) this.byKid.set(thumbprint, root.publicKey);
    }
  }

  /** The key to check the signature with, from the JWS protected header; throws UntrustedKey. */
  signingKey(header: Record<string, unknown>): KeyObject {
    const { x5c, jwk, kid } = header;
    if (x5c !== undefined) return this.verifyChain(x5c);
    if (jwk !== undefined) return this.embeddedKey(jwk);
    if (typeof kid === 'string' && kid !== '') {
      const key = this.byKid.get(kid);
      if (!key) throw new UntrustedKey(`token signed by untrusted key with ID: ${JSON.stringify(kid)}`);
      return key;
    }
    throw new UntrustedKey('unable to get token signing key: the header has no x5c, jwk or kid');
  }

  private embeddedKey(jwk: unknown): KeyObject {
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new UntrustedKey('malformed jwk header');
    const { x5c, ...members } = jwk as Record<string, unknown>;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: members as JsonWebKey, format: 'jwk' });
    } catch (err) {
      throw new UntrustedKey(`unable to decode the jwk header: ${(err as Error).message}`);
    }
    if (x5c === undefined) {
      if (this.roots.some((root) => root.publicKey.equals(key))) return key;
      throw new UntrustedKey('untrusted JWK with no certificate chain');
    }
    const leafKey = this.verifyChain(x5c);
    if (!leafKey.equals(key)) throw new UntrustedKey('leaf certificate public key does not match the JWK');
    return key;
  }

  /**
   * The leaf's key, once leaf → intermediates (the rest of x5c, in any order, each CA:TRUE) → a
   * bundle certificate verifies, every certificate on the way (the root too) valid now. Go's
   * `x509.Certificate.Verify` with `ExtKeyUsageAny`, as distribution calls it, does the same;
   * a leaf that is itself in the bundle is a chain of one.
   */
  private verifyChain(x5c: unknown): KeyObject {
    if (!Array.isArray(x5c) || x5c.length === 0 || !x5c.every((c) => typeof c === 'string' && c !== '')) {
      throw new UntrustedKey('malformed x5c header: not a list of base64 certificates');
    }
    const chain = x5c.map((der: string, i) => {
      try {
        return new X509Certificate(Buffer.from(der, 'base64'));
      } catch {
        throw new UntrustedKey(`x5c certificate ${i} does not parse`);
      }
    });
    const leaf = chain[0] as X509Certificate;
    const intermediates = chain.slice(1);
    let current = leaf;
    for (;;) {
      this.checkValidity(current);
      if (this.roots.some((root) => root.raw.equals(current.raw))) return leaf.publicKey;
      const root = this.roots.find((r) => issued(current, r));
      if (root) {
        this.checkValidity(root);
        return leaf.publicKey;
      }
      const next = intermediates.findIndex((c) => c.ca && issued(current, c));
      if (next < 0)
        throw new UntrustedKey(`unable to verify certificate chain: ${dn(current.subject)}, issued by ${dn(current.issuer)}, has no trusted issuer`);
      current = intermediates.splice(next, 1)[0] as X509Certificate;
    }
  }

  private checkValidity(cert: X509Certificate): void {
    const now = this.now();
    if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
      throw new UntrustedKey(`unable to verify certificate chain: ${dn(cert.subject)} is valid from ${cert.validFrom} to ${cert.validTo}`);
    }
  }
}

/** `issuer` names, may sign (OpenSSL's issuer check: names, key IDs, keyCertSign) and did sign `cert`. */
function issued(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

const dn = (name: string) => name.replace(/\n/g, ', ');
