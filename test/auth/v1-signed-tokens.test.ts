import assert from 'node:assert/strict';
import { V1SignedTokens } from '../../lib/auth/v1-signed-tokens.js';
import { parseToken } from '../../lib/services/v1/tokens.js';

const SECRET = 'a long random secret_key for the tests';

function clocked(ttlSeconds?: number) {
  const clock = { now: Date.UTC(2026, 0, 1) };
  return { tokens: new V1SignedTokens(SECRET, ttlSeconds, () => clock.now), clock };
}

/** The token with one field's value replaced, signature kept. */
const withField = (token: string, field: string, value: string) => token.replace(new RegExp(`${field}=("[^"]*"|[^,]*)`), `${field}=${value}`);

describe('auth: V1 signed tokens', () => {
  it('round trip: a minted token verifies to its grant', () => {
    const { tokens } = clocked();
    const token = tokens.mint({ user: 'alice', repository: 'alice/app', access: 'write' });
    assert.match(token, /^Token signature=[0-9a-f]{64},repository="alice\/app",access=write,user=alice,expires=\d+$/);
    assert.deepEqual(tokens.verify(token), { user: 'alice', repository: 'alice/app', access: 'write' });
  });

  it('comes back as Docker sends it: "Token " + the X-Docker-Token value, which already starts with "Token "', () => {
    const { tokens } = clocked();
    const token = tokens.mint({ user: 'alice', repository: 'library/ubuntu', access: 'read' });
    assert.deepEqual(tokens.verify(`Token ${token}`), { user: 'alice', repository: 'library/ubuntu', access: 'read' });
    assert.deepEqual(tokens.verify(`token ${token.slice('Token '.length)}`), { user: 'alice', repository: 'library/ubuntu', access: 'read' });
  });

  it('is docker-registry’s form: its readers find the repository and the access', () => {
    const token = clocked().tokens.mint({ user: 'bob', repository: 'ns/repo', access: 'delete' });
    const parsed = parseToken(token);
    assert.equal(parsed?.repository, 'ns/repo');
    assert.equal(parsed?.access, 'delete');
  });

  it('a tampered signature is refused', () => {
    const { tokens } = clocked();
    const token = tokens.mint({ user: 'alice', repository: 'alice/app', access: 'read' });
    const sig = /signature=([0-9a-f]{64})/.exec(token)?.[1] ?? '';
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`;
    assert.equal(tokens.verify(token.replace(sig, flipped)), null);
    assert.equal(tokens.verify(token.replace(sig, sig.slice(2))), null, 'a short signature');
  });

  it('no field can be changed, dropped or added under the same signature', () => {
    const { tokens } = clocked();
    const token = tokens.mint({ user: 'alice', repository: 'alice/app', access: 'read' });
    assert.equal(tokens.verify(withField(token, 'repository', '"bob/app"')), null, 'another repository');
    assert.equal(tokens.verify(withField(token, 'access', 'write')), null, 'more access');
    assert.equal(tokens.verify(withField(token, 'user', 'admin')), null, 'another user');
    assert.equal(tokens.verify(withField(token, 'expires', '99999999999')), null, 'a later expiry');
    assert.equal(tokens.verify(token.replace(/,expires=\d+$/, '')), null, 'a dropped field');
    assert.equal(tokens.verify(`${token},admin=true`), null, 'an added field');
  });

  for (const [ttl, lifetime] of [
    [60, 60],
    [undefined, 3600],
  ] as const) {
    it(`expires after ${lifetime} s${ttl === undefined ? ' by default' : ''} (injected clock)`, () => {
      const { tokens, clock } = clocked(ttl);
      const token = tokens.mint({ user: 'alice', repository: 'alice/app', access: 'write' });
      clock.now += lifetime * 1000 - 1;
      assert.ok(tokens.verify(token));
      clock.now += 1;
      assert.equal(tokens.verify(token), null);
    });
  }

  it('a user name with ", a comma, spaces and non-ASCII survives, and cannot break the header', () => {
    const { tokens } = clocked();
    const user = 'o"brien, jr. ✓\\x';
    const token = tokens.mint({ user, repository: 'ns/repo', access: 'read' });
    assert.equal(token.split('"').length, 3, 'the only quotes are the repository’s');
    assert.match(token, /^[\x20-\x7e]+$/, 'printable ASCII only');
    assert.match(/,user=([^,]*),/.exec(token)?.[1] ?? '', /^[A-Za-z0-9%._~!'()*-]+$/);
    assert.equal(tokens.verify(token)?.user, user);
  });

  it('a repository that a quoted string cannot hold is not minted', () => {
    const { tokens } = clocked();
    for (const repository of ['ns/re"po', 'ns/re\\po', 'ns/re\npo']) {
      assert.throws(() => tokens.mint({ user: 'a', repository, access: 'read' }), /cannot be put in a token/);
    }
    assert.ok(tokens.verify(tokens.mint({ user: 'a', repository: 'ns/a,b+c', access: 'read' })), 'commas and + are fine inside the quotes');
  });

  it('a repository with non-ASCII characters (．．, ü) or a % is written in printable ASCII, and verifies to itself', () => {
    const { tokens } = clocked();
    for (const repository of ['library/．．', 'ns/abü', 'ns/a%41b', 'a/b/c+d', 'ns/💩']) {
      const token = tokens.mint({ user: 'alice', repository, access: 'write' });
      assert.match(token, /^[\x20-\x7e]+$/, `${repository}: printable ASCII only`);
      assert.equal(tokens.verify(token)?.repository, repository);
    }
  });

  it('a token signed with another secret_key is refused', () => {
    const token = new V1SignedTokens('another secret').mint({ user: 'alice', repository: 'alice/app', access: 'write' });
    assert.equal(clocked().tokens.verify(token), null);
    assert.throws(() => new V1SignedTokens(''), /need a secret key/);
  });

  it('anything that is not such a token is null', () => {
    const { tokens } = clocked();
    for (const value of [undefined, '', 'Basic YWxpY2U6cHc=', 'Bearer abc', 'Token signature=ABCDEF,repository="a/b",access=write', 'Token ']) {
      assert.equal(tokens.verify(value), null, String(value));
    }
  });
});
