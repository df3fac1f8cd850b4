/**
 * What `auth:` must satisfy beyond its shape (lib/config/auth-schema.ts): the files it names
 * exist and parse, the rules are rules, and settings that need each other are there together.
 * `node dist` and `node dist --check-config` run these checks in preflight, so both refuse the
 * same configs, every problem listed at once, each under its key (`auth.access[1].actions`).
 *
 * Decided here:
 * - `auth:` with neither `htpasswd` nor `token` is an error, not "auth off": its other settings
 *   (rules, anonymous_read) would do nothing, and the operator evidently meant auth to be on.
 * - `trust_proxy_user` without `trust_proxy: true` is an error: the header is only to be
 *   believed from a proxy that sets it and strips it from clients, and trust_proxy is the
 *   operator's word that there is one. A setting that silently does nothing would be worse.
 * - `secret_key` is required with `htpasswd`: it signs the V1 tokens (v1-signed-tokens.ts),
 *   and a key made up per process would fail every token that reaches another worker or
 *   outlives a restart.
 * - A rule's users or groups that the files do not know are warnings (likely typos, but a user
 *   may be added to the file later); a rule naming groups without a groups file is an error.
 */
import type { ConfigIssue } from '../config/errors.js';
import type { Config } from '../config/load.js';
import { ANY_USER } from './access-rules.js';
import { ALWAYS_OPEN_PATHS, OPENABLE_PATHS } from './open-paths.js';
import { patternProblem } from './repository-patterns.js';
import { checkCertificateBundle, checkGroupsFile, checkHtpasswdFile } from './validate-files.js';

export interface AuthCheck {
  issues: ConfigIssue[];
  /** settings that work but are worth knowing about */
  warnings: ConfigIssue[];
}

/** Below this many characters a secret_key is warned about: a token is enough to guess it offline. */
const SHORT_SECRET = 32;
// RFC 9110 §5.1: a field name is a token.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a control character would end the header
const UNQUOTABLE = /["\\\u0000-\u001f\u007f]/;

export function validateAuth(config: Readonly<Config>): ConfigIssue[] {
  return checkAuth(config).issues;
}

export function checkAuth(config: Readonly<Config>): AuthCheck {
  const auth = config.auth;
  const out: AuthCheck = { issues: [], warnings: [] };
  if (!auth) return out;
  if (!auth.htpasswd && !auth.token) {
    out.issues.push({
      key: 'auth',
      message: 'set auth.htpasswd or auth.token (or remove auth): without either, auth is off and the other auth settings do nothing',
    });
  }

  let users: ReadonlySet<string> | null = null;
  let groups: ReadonlySet<string> | null = null;
  if (auth.htpasswd) {
    const { path, realm, groups: groupsPath } = auth.htpasswd;
    if (UNQUOTABLE.test(realm))
      out.issues.push({ key: 'auth.htpasswd.realm', message: 'cannot hold ", \\ or control characters (it is sent in a quoted header value)' });
    users = merge(out, checkHtpasswdFile('auth.htpasswd.path', path));
    if (groupsPath) groups = merge(out, checkGroupsFile('auth.htpasswd.groups', groupsPath));
    if (!config.secret_key) {
      out.issues.push({
        key: 'secret_key',
        message: 'required with auth.htpasswd: it signs the tokens Docker 1.x is given, which every worker must accept, also after a restart',
      });
    } else if (config.secret_key.length < SHORT_SECRET) {
      out.warnings.push({
        key: 'secret_key',
        message: `shorter than ${SHORT_SECRET} characters: with Docker 1.x tokens signed by it, a short key can be guessed offline`,
      });
    }
  }

  (auth.access ?? []).forEach((rule, i) => {
    const at = `auth.access[${i}]`;
    if (rule.users.length === 0 && rule.groups.length === 0) {
      out.issues.push({ key: at, message: `a rule needs users or groups (users: ["${ANY_USER}"] is every authenticated user)` });
    }
    if (rule.repositories.length === 0)
      out.issues.push({ key: `${at}.repositories`, message: 'a rule needs at least one repository pattern ("**" is every repository)' });
    rule.repositories.forEach((pattern, j) => {
      const problem = patternProblem(pattern);
      if (problem) out.issues.push({ key: `${at}.repositories[${j}]`, message: `${JSON.stringify(pattern)}: ${problem}` });
    });
    if (rule.groups.length > 0 && auth.htpasswd && !auth.htpasswd.groups) {
      out.issues.push({ key: `${at}.groups`, message: 'no groups file (auth.htpasswd.groups) is set, so nobody is in these groups' });
    }
    const unknownUsers = rule.users.filter((u) => u !== ANY_USER && users && !users.has(u));
    if (unknownUsers.length > 0) out.warnings.push({ key: `${at}.users`, message: `not in ${auth.htpasswd?.path}: ${unknownUsers.join(', ')}` });
    const unknownGroups = rule.groups.filter((g) => groups && !groups.has(g));
    if (unknownGroups.length > 0) out.warnings.push({ key: `${at}.groups`, message: `not in ${auth.htpasswd?.groups}: ${unknownGroups.join(', ')}` });
  });

  auth.open_paths.forEach((p, i) => {
    if ((ALWAYS_OPEN_PATHS as readonly string[]).includes(p)) {
      out.warnings.push({ key: `auth.open_paths[${i}]`, message: `${p} is always open; listing it changes nothing` });
    } else if (!(OPENABLE_PATHS as readonly string[]).includes(p)) {
      out.issues.push({ key: `auth.open_paths[${i}]`, message: `${JSON.stringify(p)} cannot be opened; allowed: ${OPENABLE_PATHS.join(', ')}` });
    }
  });

  if (auth.trust_proxy_user !== null) {
    if (!HEADER_NAME.test(auth.trust_proxy_user)) out.issues.push({ key: 'auth.trust_proxy_user', message: 'not a header name' });
    if (!config.trust_proxy) {
      out.issues.push({
        key: 'auth.trust_proxy_user',
        message: 'needs trust_proxy: true: the header is believed only from a proxy in front that sets it and strips it from clients',
      });
    }
  }

  if (auth.token) {
    if (!isHttpUrl(auth.token.realm)) out.issues.push({ key: 'auth.token.realm', message: `expected an http(s) URL, got ${JSON.stringify(auth.token.realm)}` });
    out.issues.push(...checkCertificateBundle('auth.token.rootcertbundle', auth.token.rootcertbundle));
  }
  return out;
}

function merge<T>(out: AuthCheck, check: { issues: ConfigIssue[]; warnings: ConfigIssue[]; content: T | null }): T | null {
  out.issues.push(...check.issues);
  out.warnings.push(...check.warnings);
  return check.content;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.host !== '';
  } catch {
    return false;
  }
}
