/**
 * Docker schema1 signed manifests (libtrust JWS: docker/libtrust `jsonsign.go`, `ec_key.go`,
 * `util.go`; distribution v2.8.3 `manifest/schema1/`,
 * `registry/storage/signedmanifesthandler.go`).
 *
 * The canonical payload P of a signed manifest is `raw[0:formatLength] + formatTail`; its
 * sha256 is the manifest digest, and P is what is stored. On the way out P is wrapped in a
 * fresh signature by the registry's own key, as distribution ≥2.5 does, laid out byte for
 * byte as libtrust's PrettySignature lays it out.
 */
import { createHash, createPublicKey, type KeyObject, sign, verify, X509Certificate } from 'node:crypto';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { invalid } from './manifest-types.js';

const ALGORITHMS: Record<string, { hash: string; ec: boolean }> = {
  ES256: { hash: 'sha256', ec: true },
  ES384: { hash: 'sha384', ec: true },
  ES512: { hash: 'sha512', ec: true },
  RS256: { hash: 'sha256', ec: false },
  RS384: { hash: 'sha384', ec: false },
  RS512: { hash: 'sha512', ec: false },
};

export const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');
const fromB64url = (text: string) => Buffer.from(text.replace(/[\s=]/g, ''), 'base64url');

/**
 * The payload of a schema1 manifest as uploaded. A body without `signatures` is its own
 * payload (an unsigned `v1+json` manifest). Every signature must verify: MANIFEST_UNVERIFIED.
 */
export function schema1Payload(raw: Buffer, doc: Record<string, unknown>): Buffer {
  if (doc.signatures === undefined) return raw;
  if (!Array.isArray(doc.signatures) || doc.signatures.length === 0) throw unverified('signatures must be a non-empty array');
  let payload: Buffer | null = null;
  let format: string | null = null;
  for (const entry of doc.signatures as Record<string, unknown>[]) {
    if (entry === null || typeof entry !== 'object') throw unverified('a signature is not an object');
    const protectedText = typeof entry?.protected === 'string' ? entry.protected : '';
    let header: { formatLength?: unknown; formatTail?: unknown };
    try {
      header = JSON.parse(fromB64url(protectedText).toString('utf8'));
    } catch {
      throw unverified('protected header is not base64url JSON');
    }
    if (header === null || typeof header !== 'object') throw unverified('protected header is not a JSON object');
    const { formatLength, formatTail } = header;
    if (
      typeof formatLength !== 'number' ||
      !Number.isSafeInteger(formatLength) ||
      formatLength < 0 ||
      formatLength > raw.length ||
      typeof formatTail !== 'string'
    ) {
      throw unverified('protected header lacks a valid formatLength/formatTail');
    }
    const key = `${formatLength}:${formatTail}`;
    if (format !== null && format !== key) throw unverified('signatures disagree on the payload');
    format = key;
    payload ??= Buffer.concat([raw.subarray(0, formatLength), fromB64url(formatTail)]);
    const signingInput = `${protectedText}.${b64url(payload)}`;
    const h = (entry.header && typeof entry.header === 'object' ? entry.header : {}) as { alg?: string; jwk?: Record<string, unknown>; x5c?: string[] };
    const alg = ALGORITHMS[h.alg ?? ''];
    if (!alg) throw unverified(`unsupported signature algorithm ${String(h.alg)}`);
    const publicKey = signerKey(h);
    // The key must be of the kind `alg` names (libtrust knows EC and RSA keys only).
    if (publicKey.asymmetricKeyType !== (alg.ec ? 'ec' : 'rsa'))
      throw unverified(`a ${String(publicKey.asymmetricKeyType)} key cannot make ${h.alg} signatures`);
    const signature = fromB64url(typeof entry.signature === 'string' ? entry.signature : '');
    let ok: boolean;
    try {
      ok = verify(alg.hash, Buffer.from(signingInput), alg.ec ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, signature);
    } catch (err) {
      throw unverified(`signature cannot be checked: ${(err as Error).message}`);
    }
    if (!ok) throw unverified('signature does not verify');
  }
  return payload as Buffer;
}

function signerKey(header: { jwk?: Record<string, unknown>; x5c?: string[] }): KeyObject {
  try {
    if (Array.isArray(header.x5c) && typeof header.x5c[0] === 'string') return new X509Certificate(Buffer.from(header.x5c[0], 'base64')).publicKey;
    if (!header.jwk) throw new Error('no jwk or x5c');
    const { kid, ...jwk } = header.jwk;
    const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (kid !== undefined && kid !== keyId(key)) throw new Error(`kid ${String(kid)} does not match the key`);
    return key;
  } catch (err) {
    throw unverified(`signing key: ${(err as Error).message}`);
  }
}

/** libtrust's key id: the first 240 bits of sha256(SubjectPublicKeyInfo), base32, in 12 groups of 4. */
export function keyId(key: KeyObject): string {
  const der = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  const b32 = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return (b32.match(/.{4}/g) as string[]).join(':');
}

function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/**
 * Wrap payload P in one ES256 signature by `privateKey` (a P-256 key). The result's digest
 * is still sha256(P): only `signatures` is added, where formatLength/formatTail say.
 */
export function signSchema1(payload: Buffer, privateKey: KeyObject, now = new Date()): Buffer {
  const text = payload.toString('utf8');
  const close = text.trimEnd().length - 1;
  if (text[close] !== '}') throw invalid('schema1 payload does not end with }');
  const formatLength = Buffer.byteLength(text.slice(0, close).trimEnd());
  const formatTail = payload.subarray(formatLength);
  if (payload[formatLength - 1] === 0x2c) throw invalid('schema1 payload has a trailing comma');
  const time = `${now.toISOString().slice(0, 19)}Z`;
  const protectedText = b64url(JSON.stringify({ formatLength, formatTail: b64url(formatTail), time }));
  const signature = sign('sha256', Buffer.from(`${protectedText}.${b64url(payload)}`), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const { crv, x, y } = createPublicKey(privateKey).export({ format: 'jwk' });
  const entry = { header: { jwk: { crv, kid: keyId(privateKey), kty: 'EC', x, y }, alg: 'ES256' }, signature: b64url(signature), protected: protectedText };
  const indent = detectIndent(text);
  const head = payload.subarray(0, formatLength);
  if (indent === '') return Buffer.concat([head, Buffer.from(`,"signatures":${JSON.stringify([entry])}}`)]);
  const array = JSON.stringify([entry], null, indent).replace(/\n/g, `\n${indent}`);
  return Buffer.concat([head, Buffer.from(`,\n${indent}"signatures": ${array}\n}`)]);
}

/** libtrust detectJSONIndent: the whitespace before the first key when the object starts with `{\n`. */
function detectIndent(text: string): string {
  if (text.length > 2 && text[0] === '{' && text[1] === '\n') {
    const quote = text.indexOf('"', 1);
    if (quote > 0) return text.slice(2, quote);
  }
  return '';
}

function unverified(why: string): RegistryError {
  return new RegistryError(V2.MANIFEST_UNVERIFIED, { message: `manifest failed signature verification: ${why}`, detail: { reason: why } });
}
