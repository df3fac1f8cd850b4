/**
 * A token server for V2 bearer-token tests, in the test process on 127.0.0.1: a throwaway CA
 * (certificates made by openssl), a signing leaf it issued, the CA written as the registry's
 * `rootcertbundle`, and `GET /token` answered as docker_auth answers it
 * (distribution's `docs/spec/auth/token.md`: the granted part of the asked scope, signed).
 * The mint helpers make the tokens no honest server would: expired, foreign, unsigned, altered.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CompactSign } from 'jose';
import { jwkThumbprint } from '../../lib/auth/bearer-keys.js';
import type { BearerSettings } from '../../lib/auth/bearer-tokens.js';
import { keyId as libtrustKeyId } from '../../lib/services/v2/schema1.js';
import { tempDir } from './config.js';

/** A key pair and the certificate openssl made for it. */
export interface Signer {
  name: string;
  key: KeyObject;
  cert: X509Certificate;
  certFile: string;
  keyFile: string;
  /** The x5c value: this certificate, then each issuer up to (not including) the root. */
  chain: string[];
  alg: 'ES256' | 'RS256';
}

export interface SignerOptions {
  /** the CA that signs the certificate; none: self-signed */
  issuer?: Signer;
  /** a CA certificate (CA:TRUE, keyCertSign) rather than a signing leaf */
  ca?: boolean;
  kind?: 'ec' | 'rsa';
  days?: number;
  /** openssl -addext values instead of those `ca` picks (to make odd certificates) */
  extensions?: string[];
}

/** A new key and certificate in `dir` (openssl `req -x509`, `-CA` for an issued one). */
export function makeSigner(dir: string, name: string, options: SignerOptions = {}): Signer {
  const kind = options.kind ?? 'ec';
  const { privateKey } = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.pem`);
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const extensions =
    options.extensions ??
    (options.ca
      ? ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']
      : ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature']);
  const usage = extensions.flatMap((e) => ['-addext', e]);
  const issuer = options.issuer ? ['-CA', options.issuer.certFile, '-CAkey', options.issuer.keyFile] : [];
  execFileSync(
    'openssl',
    ['req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${name}`, '-days', String(options.days ?? 2), ...usage, ...issuer, '-out', certFile],
    {
      stdio: 'ignore',
    },
  );
  const cert = new X509Certificate(execFileSync('openssl', ['x509', '-in', certFile, '-outform', 'DER']));
  const above = options.issuer && !options.issuer.cert.checkIssued(options.issuer.cert) ? options.issuer.chain : [];
  return { name, key: privateKey, cert, certFile, keyFile, chain: [cert.raw.toString('base64'), ...above], alg: kind === 'ec' ? 'ES256' : 'RS256' };
}

/** How a minted token's header points at its key (distribution's three ways, and none). */
export type KeyRef = 'x5c' | 'kid' | 'jwk' | 'jwk+x5c' | 'thumbprint' | 'none';

export interface MintOptions {
  signer: Signer;
  claims: Record<string, unknown>;
  keyRef?: KeyRef;
  /** default: the signer's (ES256 or RS256) */
  alg?: string;
  /** merged into the protected header last */
  header?: Record<string, unknown>;
}

/** A JWS compact token signed by `signer`, its header naming the key as `keyRef` says (default x5c). */
export async function mintToken(options: MintOptions): Promise<string> {
  const { signer } = options;
  const publicKey = signer.cert.publicKey;
  const jwk = publicKey.export({ format: 'jwk' });
  const refs: Record<KeyRef, Record<string, unknown>> = {
    x5c: { x5c: signer.chain },
    kid: { kid: libtrustKeyId(publicKey) },
    thumbprint: { kid: jwkThumbprint(publicKey) },
    jwk: { jwk },
    'jwk+x5c': { jwk: { ...jwk, x5c: signer.chain } },
    none: {},
  };
  const header = { typ: 'JWT', alg: options.alg ?? signer.alg, ...refs[options.keyRef ?? 'x5c'], ...options.header };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(options.claims))).setProtectedHeader(header as { alg: string }).sign(signer.key);
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `alg: none`: a header and claims with an empty signature. */
export function unsignedToken(claims: Record<string, unknown>, header: Record<string, unknown> = { typ: 'JWT', alg: 'none' }): string {
  return `${b64url(header)}.${b64url(claims)}.`;
}

/** HS256 keyed with `secret` (say, the bundle certificate's PEM: the old alg-confusion forgery). */
export async function hmacToken(claims: Record<string, unknown>, secret: Uint8Array, header: Record<string, unknown> = {}): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims))).setProtectedHeader({ typ: 'JWT', alg: 'HS256', ...header }).sign(secret);
}

/** `token` with its claims replaced and its signature kept. */
export function tamperedToken(token: string, claims: Record<string, unknown>): string {
  const [header, , signature] = token.split('.');
  return `${header}.${b64url(claims)}.${signature}`;
}

/** The claim set distribution's `docs/spec/auth/jwt.md` describes, valid from `now` for `ttl` seconds. */
export function claimsFor(options: {
  issuer: string;
  service: string;
  subject: string;
  access: unknown[];
  now?: number;
  ttl?: number;
}): Record<string, unknown> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return {
    iss: options.issuer,
    sub: options.subject,
    aud: options.service,
    exp: iat + (options.ttl ?? 300),
    nbf: iat,
    iat,
    jti: Math.random().toString(36).slice(2),
    access: options.access,
  };
}

/** Per account ('' for anonymous): `<type>:<name>` (e.g. `repository:alice/app`) → the actions it may be granted. */
export type GrantTable = Record<string, Record<string, string[]>>;

export interface TokenServerOptions {
  service?: string;
  issuer?: string;
  /** Basic-auth users and passwords; a request without credentials is anonymous (subject ''). */
  users?: Record<string, string>;
  grants?: GrantTable;
  /** token lifetime in seconds (docker_auth's default is 300) */
  expiresIn?: number;
  /** how the served tokens name their key (default x5c, which both distribution v2.8 and v3 accept) */
  keyRef?: KeyRef;
}

export interface TokenServer {
  /** http://127.0.0.1:<port>/token */
  realm: string;
  service: string;
  issuer: string;
  /** the PEM file holding the root CA: the registry's rootcertbundle */
  bundleFile: string;
  /** the registry's token settings for this server */
  settings: BearerSettings;
  dir: string;
  root: Signer;
  /** the signing leaf the root issued */
  leaf: Signer;
  /** GET /token requests answered (any status) */
  requests: number;
  /** a token for this server's issuer and service, `overrides` merged into its claims */
  mint(access: unknown[], overrides?: Record<string, unknown>, options?: Omit<MintOptions, 'claims' | 'signer'> & { signer?: Signer }): Promise<string>;
  close(): Promise<void>;
}

/**
 * A resource scope `type:name:actions`; the name may hold one `:` (a registry host's port), so
 * the type ends at the first colon and the actions start after the last (`docs/spec/auth/scope.md`).
 */
function parseScope(scope: string): { type: string; name: string; actions: string[] } | null {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 1 || last === first) return null;
  return {
    type: scope.slice(0, first),
    name: scope.slice(first + 1, last),
    actions: scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

export async function startTokenServer(options: TokenServerOptions = {}): Promise<TokenServer> {
  const service = options.service ?? 'registry.test';
  const issuer = options.issuer ?? 'berth-test-token-issuer';
  const dir = tempDir('berth-token-');
  const root = makeSigner(dir, 'root', { ca: true });
  const leaf = makeSigner(dir, 'leaf', { issuer: root });
  const bundleFile = path.join(dir, 'bundle.pem');
  writeFileSync(bundleFile, root.cert.toString());
  const grants = options.grants ?? {};

  const server = http.createServer((req, res) => {
    state.requests++;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? '/', 'http://token');
    if (req.method !== 'GET' || url.pathname !== '/token') return answer(404, { details: 'not found' });
    let subject = '';
    const basic = /^basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      if (colon < 0 || options.users?.[user] !== password) return answer(401, { details: 'wrong credentials' }, { 'www-authenticate': 'Basic realm="token"' });
      subject = user;
    }
    const access: Array<{ type: string; name: string; actions: string[] }> = [];
    for (const scope of url.searchParams.getAll('scope')) {
      const asked = parseScope(scope);
      if (!asked) return answer(400, { details: `invalid scope ${scope}` });
      const allowed = grants[subject]?.[`${asked.type}:${asked.name}`] ?? [];
      // the intersection of asked and granted, which may be empty (token.md: not an error)
      const actions = allowed.includes('*') ? asked.actions : asked.actions.filter((a) => allowed.includes(a));
      access.push({ type: asked.type, name: asked.name, actions });
    }
    const now = Date.now();
    const claims = claimsFor({ issuer, service: url.searchParams.get('service') ?? '', subject, access, now, ttl: options.expiresIn ?? 300 });
    mintToken({ signer: leaf, claims, keyRef: options.keyRef ?? 'x5c' }).then(
      (token) => answer(200, { token, access_token: token, expires_in: options.expiresIn ?? 300, issued_at: new Date(now).toISOString() }),
      (err: Error) => answer(500, { details: err.message }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const realm = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  const state: TokenServer = {
    realm,
    service,
    issuer,
    bundleFile,
    settings: { realm, service, issuer, rootcertbundle: bundleFile },
    dir,
    root,
    leaf,
    requests: 0,
    mint(access, overrides = {}, mintOptions = {}) {
      const claims = { ...claimsFor({ issuer, service, subject: 'tester', access }), ...overrides };
      return mintToken({ ...mintOptions, signer: mintOptions.signer ?? leaf, claims });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections(); // fetch keeps connections alive
      }),
  };
  return state;
}
