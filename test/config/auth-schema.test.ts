import assert from 'node:assert/strict';
import { ConfigError } from '../../lib/config/errors.js';
import { loadYaml } from '../support/config.js';

function messages(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    loadYaml(yaml, 'dev', env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n').filter((l) => l.startsWith('  - '));
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('config: the auth section (shapes and defaults)', () => {
  it('absent, null or empty: no auth, as before', () => {
    assert.equal(loadYaml('dev: {}\n', 'dev').config.auth, null);
    assert.equal(loadYaml('dev:\n  auth:\n', 'dev').config.auth, null);
    assert.equal(loadYaml('dev:\n  auth: _env:BERTH_AUTH\n', 'dev').config.auth, null, 'an unset env var is null');
  });

  it('the defaults of every key', () => {
    const { config, warnings } = loadYaml('dev:\n  auth:\n    htpasswd: {path: /etc/berth/htpasswd}\n', 'dev');
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.auth, {
      htpasswd: { path: '/etc/berth/htpasswd', realm: 'Berth Registry', groups: null },
      anonymous_read: false,
      access: null,
      open_paths: [],
      trust_proxy_user: null,
      token: null,
    });
  });

  it('a full section, as an operator writes it', () => {
    const yaml = `dev:
  auth:
    htpasswd:
      path: /etc/berth/htpasswd
      realm: Example Registry
      groups: /etc/berth/htgroup
    anonymous_read: yes
    access:
      - users: [alice]
        groups: []
        repositories: ["alice/*", "library/*"]
        actions: [pull, push, delete]
      - groups: [devs]
        repositories: ["**"]
        actions: []
    open_paths: ["/metrics"]
    trust_proxy_user: X-Remote-User
    token:
      realm: https://auth.example.com/token
      service: registry.example.com
      issuer: auth.example.com
      rootcertbundle: /etc/berth/token-ca.pem
`;
    const auth = loadYaml(yaml, 'dev').config.auth;
    assert.ok(auth);
    assert.equal(auth.htpasswd?.realm, 'Example Registry');
    assert.equal(auth.htpasswd?.groups, '/etc/berth/htgroup');
    assert.equal(auth.anonymous_read, true);
    assert.deepEqual(auth.access, [
      { users: ['alice'], groups: [], repositories: ['alice/*', 'library/*'], actions: ['pull', 'push', 'delete'] },
      { users: [], groups: ['devs'], repositories: ['**'], actions: [] },
    ]);
    assert.deepEqual(auth.open_paths, ['/metrics']);
    assert.equal(auth.trust_proxy_user, 'X-Remote-User');
    assert.deepEqual(auth.token, {
      realm: 'https://auth.example.com/token',
      service: 'registry.example.com',
      issuer: 'auth.example.com',
      rootcertbundle: '/etc/berth/token-ca.pem',
    });
  });

  it('numeric user names in YAML lists are names', () => {
    const auth = loadYaml('dev:\n  auth:\n    htpasswd: {path: /x}\n    access: [{users: [1234], repositories: ["**"], actions: [pull]}]\n', 'dev').config.auth;
    assert.deepEqual(auth?.access?.[0]?.users, ['1234']);
  });

  it('each mistake names its key, list positions in brackets', () => {
    const yaml = `dev:
  auth:
    htpasswd: {realm: R}
    access:
      - {users: [a], repositories: ["a/*"], actions: [pull, pussh]}
      - {users: [a], repositories: ["a/*"]}
      - {users: alice, repositories: ["a/*"], actions: [pull]}
      - just a string
    token: {realm: https://auth.example.com/token}
`;
    assert.deepEqual(messages(yaml), [
      '  - dev.auth.htpasswd.path: required: the htpasswd file (made with Apache’s htpasswd)',
      '  - dev.auth.access[0].actions: allowed: pull, push, delete; got "pussh" (did you mean push?)',
      '  - dev.auth.access[1].actions: required: a list of pull, push, delete ([] allows nothing)',
      '  - dev.auth.access[2].users: expected a list, e.g. [alice, bob], got "alice"',
      '  - dev.auth.access[3]: expected a rule: {users, groups, repositories, actions}, got "just a string"',
      '  - dev.auth.token.service: required: the name the token server issues tokens for',
      '  - dev.auth.token.issuer: required: the issuer the tokens name',
      '  - dev.auth.token.rootcertbundle: required: a PEM file with the certificates the tokens are signed under',
    ]);
  });

  it('a value from the environment names its variable, also below a list that came from one', () => {
    assert.deepEqual(messages('dev:\n  auth:\n    anonymous_read: _env:ANON\n', { ANON: 'maybe' }), [
      '  - dev.auth.anonymous_read: expected true or false, got "maybe" (set by env ANON)',
    ]);
    assert.deepEqual(messages('dev:\n  auth:\n    access: _env:RULES\n', { RULES: '[{users: [a], repositories: ["**"], actions: [pul]}]' }), [
      '  - dev.auth.access[0].actions: allowed: pull, push, delete; got "pul" (did you mean pull?) (set by env RULES)',
    ]);
  });

  it('a misspelt key inside a rule is warned about, with its position', () => {
    const { warnings } = loadYaml(
      'dev:\n  auth:\n    htpasswd: {path: /x, grups: /y}\n    access:\n      - {users: [a], group: [b], repositories: ["**"], actions: []}\n',
      'dev',
    );
    assert.deepEqual(warnings, [
      'dev.auth.htpasswd.grups: unknown option, ignored (did you mean auth.htpasswd.groups?)',
      'dev.auth.access[0].group: unknown option, ignored (did you mean auth.access[0].groups?)',
    ]);
  });

  it('secret_key is a secret: redacted in --check-config output', async () => {
    const { redactedConfig } = await import('../../lib/config/summary.js');
    const out = redactedConfig(loadYaml('dev:\n  secret_key: sek\n  auth:\n    htpasswd: {path: /etc/berth/htpasswd}\n', 'dev').config);
    assert.equal(out.secret_key, '[redacted]');
    assert.equal((out.auth as { htpasswd: { path: string } }).htpasswd.path, '/etc/berth/htpasswd', 'the htpasswd path is not a secret');
  });
});
