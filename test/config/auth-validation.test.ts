import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { validateAuth } from '../../lib/auth/validate.js';
import { ConfigError } from '../../lib/config/errors.js';
import type { LoadedConfig } from '../../lib/config/load.js';
import { preflight } from '../../lib/preflight.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, writeConfig } from '../support/config.js';
import { htpasswdLine } from '../support/htpasswd.js';
import { makeTls } from '../support/smtp.js';

const SECRET = 'x'.repeat(40);

function file(name: string, text: string): string {
  const p = path.join(tempDir('berth-auth-files-'), name);
  writeFileSync(p, text);
  return p;
}

const HTPASSWD = file('htpasswd', `${htpasswdLine('bcrypt', 'alice', 'pw', ['-C', '4'])}\n${htpasswdLine('apr1', 'bob', 'pw')}\n`);
const HTGROUP = file('htgroup', 'devs: alice bob\n');

/** The flavor `dev` of `lines` (indented under it), through preflight as `node dist` runs it. */
function run(lines: string, env: Record<string, string> = {}): LoadedConfig {
  const yaml = `dev:\n  storage_path: ${tempDir('berth-storage-')}\n${lines.replace(/^/gm, '  ')}\n`;
  return preflight({ env: { SETTINGS_FLAVOR: 'dev', DOCKER_REGISTRY_CONFIG: writeConfig(yaml), ...env }, cwd: tempDir(), installDir: INSTALL_DIR });
}

/** The problem lines of the ConfigError that preflight throws for `lines`. */
function refused(lines: string, env: Record<string, string> = {}): string[] {
  try {
    run(lines, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message
      .split('\nwarnings:')[0]
      ?.split('\n')
      .filter((l) => l.startsWith('  - '))
      .map((l) => l.slice(4)) as string[];
  }
  assert.fail('expected preflight to refuse the config');
}

const warningsOf = (lines: string) => run(lines).warnings;

const htpasswdAuth = (more = '') => `secret_key: ${SECRET}\nauth:\n  htpasswd: {path: ${HTPASSWD}, groups: ${HTGROUP}}\n${more}`;

describe('config: auth validation (preflight, as node dist and --check-config run it)', () => {
  it('a complete, correct section passes without warnings', () => {
    const { config, warnings } = run(
      htpasswdAuth(
        '  anonymous_read: true\n  access:\n    - {users: [alice], repositories: ["alice/*", "library/**"], actions: [pull, push, delete]}\n    - {groups: [devs], repositories: ["**"], actions: [pull]}\n    - {users: ["*"], repositories: ["*/*"], actions: []}\n  open_paths: [/metrics, /_status, /v1/_status, /]\n  trust_proxy_user: X-Remote-User\ntrust_proxy: true\n',
      ),
    );
    assert.deepEqual(warnings, []);
    assert.equal(config.auth?.access?.length, 3);
    assert.deepEqual(validateAuth(config), []);
  });

  it('no auth section: nothing to check', () => {
    assert.deepEqual(run('').warnings, []);
  });

  it('auth with neither htpasswd nor token is refused', () => {
    assert.deepEqual(refused('auth:\n  anonymous_read: true\n'), [
      'dev.auth: set auth.htpasswd or auth.token (or remove auth): without either, auth is off and the other auth settings do nothing',
    ]);
  });

  describe('the htpasswd and groups files', () => {
    it('a missing htpasswd file names the key, the path and the env var that set it', () => {
      const [problem] = refused(`secret_key: ${SECRET}\nauth:\n  htpasswd: {path: _env:BERTH_HTPASSWD}\n`, { BERTH_HTPASSWD: '/nonexistent/htpasswd' });
      assert.match(problem ?? '', /^dev\.auth\.htpasswd\.path: cannot read \/nonexistent\/htpasswd: ENOENT.* \(set by env BERTH_HTPASSWD\)$/);
    });

    it('a line that is not user:hash names the line, never the hash', () => {
      const bad = file(
        'htpasswd',
        `${htpasswdLine('bcrypt', 'alice', 'pw', ['-C', '4'])}\n\ncarol:plaintext-secret\njust-a-word\n:$apr1$abcdefgh$0123456789012345678901\n`,
      );
      const problems = refused(`secret_key: ${SECRET}\nauth:\n  htpasswd: {path: ${bad}}\n`);
      assert.deepEqual(problems, [
        `dev.auth.htpasswd.path: ${bad} line 3: the hash of user "carol" is not one that htpasswd -B, -m, -s, -d, -2 or -5 writes`,
        `dev.auth.htpasswd.path: ${bad} line 4: not of the form user:hash`,
        `dev.auth.htpasswd.path: ${bad} line 5: no user name before ":"`,
      ]);
      assert.doesNotMatch(problems.join('\n'), /plaintext-secret|just-a-word|0123456789/);
    });

    it('a missing or broken groups file', () => {
      assert.match(
        refused(htpasswdAuth().replace(HTGROUP, '/nonexistent/htgroup'))[0] ?? '',
        /^dev\.auth\.htpasswd\.groups: cannot read \/nonexistent\/htgroup/,
      );
      const bad = file('htgroup', 'devs: alice\nops alice\n');
      assert.deepEqual(refused(htpasswdAuth().replace(HTGROUP, bad)), [`dev.auth.htpasswd.groups: ${bad} line 2: not of the form "group: user1 user2"`]);
    });

    it('duplicate users and a file without users are warnings', () => {
      const dup = file('htpasswd', `${htpasswdLine('apr1', 'alice', 'a')}\n${htpasswdLine('apr1', 'alice', 'b')}\n`);
      assert.deepEqual(warningsOf(`secret_key: ${SECRET}\nauth:\n  htpasswd: {path: ${dup}}\n`), [
        `dev.auth.htpasswd.path: ${dup}: user "alice" has more than one line; the first counts`,
      ]);
      const empty = file('htpasswd', '# nobody yet\n');
      assert.deepEqual(warningsOf(`secret_key: ${SECRET}\nauth:\n  htpasswd: {path: ${empty}}\n`), [
        `dev.auth.htpasswd.path: ${empty} holds no users, so nobody can log in`,
      ]);
    });

    it('a realm that would break the challenge header', () => {
      assert.deepEqual(refused(`secret_key: ${SECRET}\nauth:\n  htpasswd: {path: ${HTPASSWD}, realm: 'say "hi"'}\n`), [
        'dev.auth.htpasswd.realm: cannot hold ", \\ or control characters (it is sent in a quoted header value)',
      ]);
    });

    it('secret_key is required with htpasswd (it signs the V1 tokens); a short one is a warning', () => {
      assert.deepEqual(refused(`auth:\n  htpasswd: {path: ${HTPASSWD}}\n`), [
        'dev.secret_key: required with auth.htpasswd: it signs the tokens Docker 1.x is given, which every worker must accept, also after a restart',
      ]);
      assert.deepEqual(warningsOf(`secret_key: short\nauth:\n  htpasswd: {path: ${HTPASSWD}}\n`), [
        'dev.secret_key: shorter than 32 characters: with Docker 1.x tokens signed by it, a short key can be guessed offline',
      ]);
    });
  });

  describe('the access rules', () => {
    it('an unknown action names the rule’s actions key', () => {
      assert.deepEqual(refused(htpasswdAuth('  access:\n    - {users: [alice], repositories: ["**"], actions: [pull, pussh]}\n')), [
        'dev.auth.access[0].actions: allowed: pull, push, delete; got "pussh" (did you mean push?)',
      ]);
    });

    it('a rule without users and groups, or without repositories', () => {
      assert.deepEqual(
        refused(htpasswdAuth('  access:\n    - {repositories: ["**"], actions: [pull]}\n    - {users: [alice], groups: [], actions: [pull]}\n')),
        [
          'dev.auth.access[0]: a rule needs users or groups (users: ["*"] is every authenticated user)',
          'dev.auth.access[1].repositories: a rule needs at least one repository pattern ("**" is every repository)',
        ],
      );
    });

    it('an invalid pattern names its position in the list', () => {
      assert.deepEqual(
        refused(
          htpasswdAuth(
            '  access:\n    - {users: [alice], repositories: ["alice/*"], actions: [pull]}\n    - {users: [bob], repositories: ["bob/*", "Bob/*", "ubuntu"], actions: [pull]}\n',
          ),
        ),
        [
          'dev.auth.access[1].repositories[1]: "Bob/*": "B" cannot appear in a repository name (allowed: a-z 0-9 . _ - / and * as a wildcard)',
          'dev.auth.access[1].repositories[2]: "ubuntu": repositories are matched as namespace/name, so a pattern of one component never matches; use "library/ubuntu"',
        ],
      );
    });

    it('groups without a groups file are refused', () => {
      assert.deepEqual(
        refused(`secret_key: ${SECRET}\nauth:\n  htpasswd: {path: ${HTPASSWD}}\n  access:\n    - {groups: [devs], repositories: ["**"], actions: [pull]}\n`),
        ['dev.auth.access[0].groups: no groups file (auth.htpasswd.groups) is set, so nobody is in these groups'],
      );
    });

    it('users and groups the files do not know are warnings (likely typos)', () => {
      assert.deepEqual(
        warningsOf(htpasswdAuth('  access:\n    - {users: [alice, alcie, "*"], groups: [devs, dves], repositories: ["**"], actions: [pull]}\n')),
        [`dev.auth.access[0].users: not in ${HTPASSWD}: alcie`, `dev.auth.access[0].groups: not in ${HTGROUP}: dves`],
      );
    });
  });

  describe('open_paths and trust_proxy_user', () => {
    it('only the operator endpoints can be opened; a ping is always open', () => {
      assert.deepEqual(refused(htpasswdAuth('  open_paths: [/metrics, /v2/, /v1/search]\n')), [
        'dev.auth.open_paths[1]: "/v2/" cannot be opened; allowed: /metrics, /_status, /v1/_status, /',
        'dev.auth.open_paths[2]: "/v1/search" cannot be opened; allowed: /metrics, /_status, /v1/_status, /',
      ]);
      assert.deepEqual(warningsOf(htpasswdAuth('  open_paths: [/_ping]\n')), ['dev.auth.open_paths[0]: /_ping is always open; listing it changes nothing']);
    });

    it('trust_proxy_user needs trust_proxy: true, and must be a header name', () => {
      assert.deepEqual(refused(htpasswdAuth('  trust_proxy_user: X-Remote-User\n')), [
        'dev.auth.trust_proxy_user: needs trust_proxy: true: the header is believed only from a proxy in front that sets it and strips it from clients',
      ]);
      assert.deepEqual(refused(`${htpasswdAuth('  trust_proxy_user: "X Remote: User"\n')}trust_proxy: true\n`), [
        'dev.auth.trust_proxy_user: not a header name',
      ]);
      assert.deepEqual(run(`${htpasswdAuth('  trust_proxy_user: X-Remote-User\n')}trust_proxy: true\n`).warnings, []);
    });
  });

  describe('token', () => {
    const token = (bundle: string, realm = 'https://auth.example.com/token') =>
      `auth:\n  token: {realm: "${realm}", service: registry.example.com, issuer: auth.example.com, rootcertbundle: ${bundle}}\n`;

    it('a complete token section with a PEM bundle passes (no secret_key needed without htpasswd)', () => {
      const { config } = run(token(makeTls().certFile));
      assert.equal(config.auth?.token?.issuer, 'auth.example.com');
    });

    it('incomplete settings name each missing key', () => {
      assert.deepEqual(refused('auth:\n  token: {realm: https://auth.example.com/token, service: registry}\n'), [
        'dev.auth.token.issuer: required: the issuer the tokens name',
        'dev.auth.token.rootcertbundle: required: a PEM file with the certificates the tokens are signed under',
      ]);
    });

    it('an unreadable bundle, one without certificates, one with a broken certificate, and a realm that is no URL', () => {
      assert.match(refused(token('/nonexistent/ca.pem'))[0] ?? '', /^dev\.auth\.token\.rootcertbundle: cannot read \/nonexistent\/ca\.pem: ENOENT/);
      const notPem = file('ca.pem', 'hello\n');
      assert.deepEqual(refused(token(notPem)), [`dev.auth.token.rootcertbundle: ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`]);
      const broken = file('ca.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
      assert.match(refused(token(broken))[0] ?? '', /^dev\.auth\.token\.rootcertbundle: .*: certificate 1 does not parse/);
      assert.deepEqual(refused(token(makeTls().certFile, 'auth.example.com/token')), [
        'dev.auth.token.realm: expected an http(s) URL, got "auth.example.com/token"',
      ]);
    });
  });

  it('every problem is listed at once', () => {
    const problems = refused(
      'auth:\n  htpasswd: {path: /nonexistent/htpasswd}\n  access:\n    - {repositories: ["Bad"], actions: []}\n  open_paths: [/v2/]\n  trust_proxy_user: X-User\n',
    );
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      [
        'dev.auth.htpasswd.path',
        'dev.secret_key',
        'dev.auth.access[0]',
        'dev.auth.access[0].repositories[0]',
        'dev.auth.open_paths[0]',
        'dev.auth.trust_proxy_user',
      ],
    );
  });
});
