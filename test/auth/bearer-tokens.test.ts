/**
 * V2 bearer tokens as distribution checks them (`registry/auth/token/token.go`,
 * `accesscontroller.go`): tokens from a real token server on a loopback port, and hand-made
 * ones for each way a token can be wrong.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { jwkThumbprint } from '../../lib/auth/bearer-keys.js';
import { BearerTokens } from '../../lib/auth/bearer-tokens.js';
import { keyId as libtrustKeyId } from '../../lib/services/v2/schema1.js';
import { tempDir } from '../support/config.js';
import { hmacToken, makeSigner, type Signer, startTokenServer, type TokenServer, tamperedToken, unsignedToken } from '../support/token-server.js';

const DAY = 24 * 3600 * 1000;
const pullPush = (name: string) => [{ type: 'repository', name, actions: ['pull', 'push'] }];

describe('V2 bearer tokens', () => {
  let server: TokenServer;
  let tokens: BearerTokens;
  /** a CA the registry does not trust, and a leaf it issued */
  let foreign: Signer;
  let foreignLeaf: Signer;

  before(async () => {
    server = await startTokenServer({
      service: 'registry.example.com',
      issuer: 'auth.example.com',
      users: { alice: 'wonderland', bob: 'builder' },
      grants: {
        alice: { 'repository:alice/app': ['pull', 'push'], 'repository:shared/base': ['pull'] },
        bob: { 'repository:shared/base': ['*'] },
        '': { 'repository:public/hello': ['pull'] },
      },
    });
    tokens = new BearerTokens(server.settings);
    foreign = makeSigner(server.dir, 'foreign-root', { ca: true });
    foreignLeaf = makeSigner(server.dir, 'foreign-leaf', { issuer: foreign });
  });
  after(() => server.close());

  async function fetchToken(scopes: string[], credentials?: string): Promise<Record<string, unknown>> {
    const url = new URL(server.realm);
    url.searchParams.set('service', server.service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = credentials ? { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` } : {};
    const res = await fetch(url, { headers });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as Record<string, unknown>;
  }

  describe('a round trip through the token server', () => {
    it('the token names the user and grants what the user table allows of what was asked', async () => {
      const body = await fetchToken(['repository:alice/app:pull,push', 'repository:shared/base:pull,push'], 'alice:wonderland');
      assert.equal(body.access_token, body.token);
      assert.equal(body.expires_in, 300);
      assert.match(String(body.issued_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      const grant = await tokens.verify(`Bearer ${body.token}`);
      assert.deepEqual(grant, {
        subject: 'alice',
        access: [
          { type: 'repository', name: 'alice/app', actions: ['pull', 'push'] },
          { type: 'repository', name: 'shared/base', actions: ['pull'] },
        ],
      });
      assert.equal(tokens.allows(grant, 'alice/app', 'push'), true);
      assert.equal(tokens.allows(grant, 'shared/base', 'pull'), true);
      assert.equal(tokens.allows(grant, 'shared/base', 'push'), false);
      assert.equal(tokens.allows(grant, 'alice/other', 'pull'), false);
    });

    it('an anonymous request gets an empty subject and the anonymous grants only', async () => {
      const body = await fetchToken(['repository:public/hello:pull,push', 'repository:alice/app:pull']);
      const grant = await tokens.verify(`Bearer ${body.token}`);
      assert.ok(grant);
      assert.equal(grant.subject, '');
      assert.equal(tokens.allows(grant, 'public/hello', 'pull'), true);
      assert.equal(tokens.allows(grant, 'public/hello', 'push'), false);
      assert.equal(tokens.allows(grant, 'alice/app', 'pull'), false);
    });

    it('a wrong password gets a 401 from the token server, not a token', async () => {
      const res = await fetch(`${server.realm}?service=${server.service}&scope=repository:alice/app:pull`, {
        headers: { authorization: `Basic ${Buffer.from('alice:queen').toString('base64')}` },
      });
      assert.equal(res.status, 401);
    });

    it('a token asked for another service is refused (its audience is not this registry)', async () => {
      const res = await fetch(`${server.realm}?service=elsewhere.example.com&scope=repository:alice/app:pull`, {
        headers: { authorization: `Basic ${Buffer.from('alice:wonderland').toString('base64')}` },
      });
      const { token } = (await res.json()) as { token: string };
      assert.equal(await tokens.verify(`Bearer ${token}`), null);
      assert.deepEqual(await tokens.check(`Bearer ${token}`), { reason: 'token intended for another audience: "elsewhere.example.com"' });
    });
  });

  describe('the signing key', () => {
    it('x5c: a leaf → intermediate → bundle root chain verifies; without its intermediate it does not', async () => {
      const intermediate = makeSigner(server.dir, 'intermediate', { issuer: server.root, ca: true });
      const leaf = makeSigner(server.dir, 'leaf-under-intermediate', { issuer: intermediate });
      assert.equal(leaf.chain.length, 2);
      assert.ok(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: leaf })}`));
      const shortChain = { ...leaf, chain: leaf.chain.slice(0, 1) };
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: shortChain })}`), null);
    });

    it('x5c: an intermediate that is not a CA (CA:FALSE, even with keyCertSign) cannot issue the leaf', async () => {
      const notCa = makeSigner(server.dir, 'not-a-ca', {
        issuer: server.root,
        extensions: ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,keyCertSign'],
      });
      const leaf = makeSigner(server.dir, 'leaf-under-not-a-ca', { issuer: notCa });
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: leaf })}`), null);
    });

    it('x5c: a chain to a root outside the bundle is untrusted', async () => {
      const token = await server.mint(pullPush('a/b'), {}, { signer: foreignLeaf });
      assert.equal(await tokens.verify(`Bearer ${token}`), null);
      assert.match(
        JSON.stringify(await tokens.check(`Bearer ${token}`)),
        /unable to verify certificate chain: CN=foreign-leaf, issued by CN=foreign-root, has no trusted issuer/,
      );
    });

    it('x5c: the leaf and the root must both be within their validity dates', async () => {
      const bundleOf = (root: Signer) => {
        const file = path.join(tempDir('berth-bundle-'), 'bundle.pem');
        writeFileSync(file, root.cert.toString());
        return file;
      };
      const claims = { nbf: 0, exp: Math.floor((Date.now() + 10 * DAY) / 1000) };
      for (const [rootDays, leafDays, expired] of [
        [1, 5, 'the root'],
        [5, 1, 'the leaf'],
      ] as const) {
        const root = makeSigner(server.dir, `root-${rootDays}d`, { ca: true, days: rootDays });
        const leaf = makeSigner(server.dir, `leaf-${leafDays}d`, { issuer: root, days: leafDays });
        const at = (ms: number) => new BearerTokens({ ...server.settings, rootcertbundle: bundleOf(root) }, () => ms);
        const token = `Bearer ${await server.mint(pullPush('a/b'), claims, { signer: leaf })}`;
        assert.ok(await at(Date.now()).verify(token));
        assert.equal(await at(Date.now() + 2 * DAY).verify(token), null, `${expired} has expired`);
        assert.equal(await at(Date.now() - DAY).verify(token), null, 'not valid yet');
      }
    });

    it('x5c: a bundle certificate need not be self-signed: an intermediate given as the root is trusted as is', async () => {
      const intermediate = makeSigner(server.dir, 'bundled-intermediate', { issuer: server.root, ca: true });
      const leaf = makeSigner(server.dir, 'leaf-under-bundled', { issuer: intermediate });
      const bundle = path.join(tempDir('berth-bundle-'), 'bundle.pem');
      writeFileSync(bundle, intermediate.cert.toString());
      const trusting = new BearerTokens({ ...server.settings, rootcertbundle: bundle });
      assert.ok(
        await trusting.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: { ...intermediate, chain: intermediate.chain.slice(0, 1) } })}`),
      );
      assert.ok(await trusting.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: { ...leaf, chain: leaf.chain.slice(0, 1) } })}`));
      assert.equal(await trusting.verify(`Bearer ${await server.mint(pullPush('a/b'))}`), null, 'the leaf of the root above it');
    });

    it('x5c: the signature must be made by the leaf key the chain certifies', async () => {
      const impostor = { ...foreignLeaf, chain: server.leaf.chain };
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: impostor })}`), null);
    });

    it('x5c: a chain that fails is not rescued by a trusted kid beside it', async () => {
      assert.ok(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: server.root, keyRef: 'kid' })}`));
      const withBoth = await server.mint(pullPush('a/b'), {}, { signer: server.root, keyRef: 'kid', header: { x5c: foreignLeaf.chain } });
      assert.equal(await tokens.verify(`Bearer ${withBoth}`), null);
    });

    it("kid: the libtrust key ID of a bundle certificate's key (ES256 and, from a second bundle certificate, RS256)", async () => {
      const dockerAuth = makeSigner(server.dir, 'docker-auth', { kind: 'rsa' });
      const bundle = path.join(tempDir('berth-bundle-'), 'bundle.pem');
      writeFileSync(bundle, `${server.root.cert.toString()}${dockerAuth.cert.toString()}`);
      const twoRoots = new BearerTokens({ ...server.settings, rootcertbundle: bundle });
      for (const signer of [server.root, dockerAuth]) {
        const token = await server.mint(pullPush('a/b'), {}, { signer, keyRef: 'kid' });
        assert.match(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
        assert.ok(await twoRoots.verify(`Bearer ${token}`), signer.name);
      }
    });

    it('kid: an RFC 7638 thumbprint of a bundle key also names it (distribution v3)', async () => {
      assert.ok(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: server.root, keyRef: 'thumbprint' })}`));
    });

    it('kid: the ID of a key that is not in the bundle is untrusted, even a key the bundle root certified', async () => {
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { keyRef: 'kid' })}`), null);
      assert.deepEqual(Object.keys(await tokens.check(`Bearer ${await server.mint(pullPush('a/b'), {}, { keyRef: 'kid' })}`)), ['reason']);
    });

    it('jwk: a bundle key verifies; any other key only with an x5c chain that certifies that very key', async () => {
      const mint = (signer: Signer, keyRef: 'jwk' | 'jwk+x5c') => server.mint(pullPush('a/b'), {}, { signer, keyRef });
      assert.ok(await tokens.verify(`Bearer ${await mint(server.root, 'jwk')}`));
      assert.equal(await tokens.verify(`Bearer ${await mint(server.leaf, 'jwk')}`), null);
      assert.ok(await tokens.verify(`Bearer ${await mint(server.leaf, 'jwk+x5c')}`));
      assert.equal(await tokens.verify(`Bearer ${await mint({ ...foreignLeaf, chain: server.leaf.chain }, 'jwk+x5c')}`), null);
      assert.equal(await tokens.verify(`Bearer ${await mint(foreignLeaf, 'jwk+x5c')}`), null);
    });

    it('a header with no x5c, jwk or kid names no key', async () => {
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), {}, { signer: server.root, keyRef: 'none' })}`), null);
    });
  });

  describe('refused tokens', () => {
    it('exp and nbf hold with 60 s of leeway, not a second more; a token without exp is expired', async () => {
      // a whole second, so that the signing certificate (made in before(), to the second) is valid
      const sec = Math.ceil(Date.now() / 1000);
      const verifier = new BearerTokens(server.settings, () => sec * 1000);
      const verifies = async (claims: Record<string, unknown>) => (await verifier.verify(`Bearer ${await server.mint(pullPush('a/b'), claims)}`)) !== null;
      assert.equal(await verifies({ exp: sec - 59, nbf: sec - 300 }), true);
      assert.equal(await verifies({ exp: sec - 61, nbf: sec - 300 }), false);
      assert.equal(await verifies({ exp: sec + 300, nbf: sec + 59 }), true);
      assert.equal(await verifies({ exp: sec + 300, nbf: sec + 61 }), false);
      assert.equal(await verifies({ exp: undefined }), false);
      assert.equal(await verifies({ exp: sec + 300, nbf: undefined }), true);
    });

    it('another issuer is refused', async () => {
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), { iss: 'auth.evil.example' })}`), null);
    });

    it('another audience is refused; an audience list that names this service is accepted', async () => {
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), { aud: 'other.example.com' })}`), null);
      assert.equal(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), { aud: ['other.example.com'] })}`), null);
      assert.ok(await tokens.verify(`Bearer ${await server.mint(pullPush('a/b'), { aud: ['other.example.com', server.service] })}`));
    });

    it('alg none and HS256 keyed with the bundle certificate are refused', async () => {
      const claims = (await server.mint(pullPush('a/b'))).split('.')[1] ?? '';
      const payload = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
      assert.equal(await tokens.verify(`Bearer ${unsignedToken(payload)}`), null);
      assert.equal(await tokens.verify(`Bearer ${unsignedToken(payload, { alg: 'none', x5c: server.leaf.chain })}`), null);
      const forged = await hmacToken(payload, Buffer.from(server.root.cert.toString()), { x5c: server.root.chain });
      assert.equal(await tokens.verify(`Bearer ${forged}`), null);
      assert.match(JSON.stringify(await tokens.check(`Bearer ${forged}`)), /not allowed/);
    });

    it('a payload changed after signing is refused', async () => {
      const token = await server.mint(pullPush('a/b'));
      assert.ok(await tokens.verify(`Bearer ${token}`));
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
      assert.equal(await tokens.verify(`Bearer ${tamperedToken(token, { ...payload, access: [{ type: 'repository', name: 'a/b', actions: ['*'] }] })}`), null);
    });

    it('no header, another scheme, no token, or something that is not a JWS: null', async () => {
      const token = await server.mint(pullPush('a/b'));
      assert.ok(await tokens.verify(`bearer ${token}`), 'the scheme is case-insensitive');
      for (const header of [undefined, '', `Basic ${token}`, 'Bearer', 'Bearer ', `Bearer  ${token}`, 'Bearer abc', 'Bearer a.b.c', `Bearer ${token}x`]) {
        assert.equal(await tokens.verify(header), null, String(header));
      }
      assert.deepEqual(await tokens.check(undefined), { reason: 'authorization token required' });
    });

    it('an access claim that is not a list of {type, name, actions} is refused', async () => {
      for (const access of ['repository:a/b:pull', [{ type: 'repository', name: 'a/b', actions: 'pull' }], [{ type: 1, name: 'a/b', actions: [] }]]) {
        assert.equal(await tokens.verify(`Bearer ${await server.mint([], { access })}`), null, JSON.stringify(access));
      }
      const none = await tokens.verify(`Bearer ${await server.mint([], { access: undefined })}`);
      assert.deepEqual(none?.access, []);
    });
  });

  describe('what a grant allows', () => {
    const grant = (access: Array<{ type: string; name: string; actions: string[] }>) => ({ subject: 'x', access });

    it('* among the actions allows every action on that repository, and nothing on another', () => {
      const g = grant([{ type: 'repository', name: 'a/b', actions: ['*'] }]);
      for (const action of ['pull', 'push', 'delete']) assert.equal(tokens.allows(g, 'a/b', action), true, action);
      assert.equal(tokens.allows(g, 'a/c', 'pull'), false);
      assert.equal(tokens.allows(g, 'a', 'pull'), false);
    });

    it('entries for the same repository add up; an entry of another type does not count', () => {
      const g = grant([
        { type: 'repository', name: 'a/b', actions: ['pull'] },
        { type: 'repository', name: 'c/d', actions: ['delete'] },
        { type: 'repository', name: 'a/b', actions: ['push'] },
        { type: 'registry', name: 'e/f', actions: ['*'] },
      ]);
      assert.equal(tokens.allows(g, 'a/b', 'pull'), true);
      assert.equal(tokens.allows(g, 'a/b', 'push'), true);
      assert.equal(tokens.allows(g, 'a/b', 'delete'), false);
      assert.equal(tokens.allows(g, 'c/d', 'delete'), true);
      assert.equal(tokens.allows(g, 'e/f', 'pull'), false);
    });

    it("the catalog is the registry's `catalog` resource with action *", () => {
      assert.equal(tokens.allows(grant([{ type: 'registry', name: 'catalog', actions: ['*'] }]), 'catalog', '*', 'registry'), true);
      assert.equal(tokens.allows(grant([{ type: 'registry', name: 'catalog', actions: ['pull'] }]), 'catalog', '*', 'registry'), false);
    });
  });

  describe('the challenge', () => {
    let example: BearerTokens;
    before(() => {
      example = new BearerTokens({ realm: 'https://auth.example.com/token', service: 'registry.example.com', issuer: 'x', rootcertbundle: server.bundleFile });
    });

    it("is distribution's: realm and service, then the scope (token.md's example)", () => {
      assert.equal(example.challenge(), 'Bearer realm="https://auth.example.com/token",service="registry.example.com"');
      assert.equal(
        example.challenge({ name: 'samalba/my-app', actions: ['pull', 'push'] }),
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:samalba/my-app:pull,push"',
      );
      assert.equal(
        example.challenge({ catalog: true }),
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="registry:catalog:*"',
      );
    });

    it('names the error last, when a token was presented', () => {
      assert.equal(
        example.challenge({ name: 'samalba/my-app', actions: ['pull', 'push'] }, 'insufficient_scope'),
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:samalba/my-app:pull,push",error="insufficient_scope"',
      );
      assert.equal(
        example.challenge({ name: 'samalba/my-app', actions: ['pull'] }, 'invalid_token'),
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:samalba/my-app:pull",error="invalid_token"',
      );
    });

    it('lists an action once, and escapes quotes as Go %q does', () => {
      const odd = new BearerTokens({ realm: 'https://a/"t"', service: 's\\1', issuer: 'x', rootcertbundle: server.bundleFile });
      assert.equal(odd.challenge({ name: 'a/b', actions: ['pull', 'pull'] }), 'Bearer realm="https://a/\\"t\\"",service="s\\\\1",scope="repository:a/b:pull"');
    });
  });

  describe('key IDs', () => {
    // the ECDSA key and its kid in distribution's docs/spec/auth/jwt.md
    const specKey = createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: 'm7zUpx3b-zmVE5cymSs64POG9QcyEpJaYCD82-549_Q', y: 'dU3biz8sZ_8GPB-odm8Wxz3lNDr1xcAQQPQaOcr1fmc' },
      format: 'jwk',
    });

    it("libtrust's ID of the key in jwt.md is the kid jwt.md gives it", () => {
      assert.equal(libtrustKeyId(specKey), 'PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6');
    });

    it('the RFC 7638 thumbprint of the RSA key in RFC 7638 §3.1 is the one it gives', () => {
      const n =
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';
      assert.equal(jwkThumbprint(createPublicKey({ key: { kty: 'RSA', n, e: 'AQAB' }, format: 'jwk' })), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    });
  });

  describe('the root certificate bundle', () => {
    it('a file with no certificate, or none at all, is a clear error at startup', () => {
      const dir = tempDir('berth-bundle-');
      const keyOnly = path.join(dir, 'key-only.pem');
      writeFileSync(keyOnly, server.root.key.export({ type: 'pkcs8', format: 'pem' }));
      assert.throws(() => new BearerTokens({ ...server.settings, rootcertbundle: keyOnly }), /holds no certificate/);
      assert.throws(() => new BearerTokens({ ...server.settings, rootcertbundle: path.join(dir, 'missing.pem') }), /unable to read .*missing\.pem/);
      const broken = path.join(dir, 'broken.pem');
      writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      assert.throws(() => new BearerTokens({ ...server.settings, rootcertbundle: broken }), /certificate 1 of .* does not parse/);
    });

    it('other PEM blocks beside the certificates are skipped', async () => {
      const file = path.join(tempDir('berth-bundle-'), 'mixed.pem');
      writeFileSync(file, `${foreign.key.export({ type: 'pkcs8', format: 'pem' })}${server.root.cert.toString()}`);
      const mixed = new BearerTokens({ ...server.settings, rootcertbundle: file });
      assert.ok(await mixed.verify(`Bearer ${await server.mint(pullPush('a/b'))}`));
    });
  });
});
