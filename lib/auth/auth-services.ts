/**
 * Berth's own access control, built once from `auth:` (null when the config has none): who a
 * request is (htpasswd passwords, the V1 tokens Berth signs, a token server's JWTs) and what
 * they may do (the access rules). Knows nothing of HTTP; lib/http/auth/ asks it.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/load.js';
import type { Logger } from '../logging/logger.js';
import { AccessRules, type Identity } from './access-rules.js';
import { BearerTokens } from './bearer-tokens.js';
import { FailedLogins } from './failed-logins.js';
import { GroupsFile } from './groups-file.js';
import { HtpasswdFile } from './htpasswd-file.js';
import { openPathSet } from './open-paths.js';
import { V1SignedTokens } from './v1-signed-tokens.js';

export interface AuthServices {
  realm: string;
  /** null when only a token server authenticates */
  htpasswd: HtpasswdFile | null;
  groups: GroupsFile | null;
  rules: AccessRules;
  failures: FailedLogins;
  v1Tokens: V1SignedTokens;
  bearer: BearerTokens | null;
  /** paths that need no credentials (the pings, and what auth.open_paths adds) */
  openPaths: ReadonlySet<string>;
  /** the header a trusted proxy names the user in, when trust_proxy and auth.trust_proxy_user are set */
  proxyUserHeader: string | null;
  identity(user: string): Identity;
  close(): void;
}

export function buildAuth(config: Readonly<Config>, log: Logger): AuthServices | null {
  const auth = config.auth;
  if (!auth || (!auth.htpasswd && !auth.token)) return null;
  const htpasswd = auth.htpasswd ? new HtpasswdFile(auth.htpasswd.path, log) : null;
  const groups = auth.htpasswd?.groups ? new GroupsFile(auth.htpasswd.groups, log) : null;
  // preflight requires secret_key with htpasswd (several workers, restarts: one key for all).
  // With a token server alone no V1 token is ever minted: a key of this process does.
  const secret = config.secret_key ?? randomBytes(32).toString('hex');
  return {
    realm: auth.htpasswd?.realm ?? 'Berth Registry',
    htpasswd,
    groups,
    rules: new AccessRules(auth.access ?? null, auth.anonymous_read),
    failures: new FailedLogins(),
    v1Tokens: new V1SignedTokens(secret),
    bearer: auth.token ? new BearerTokens(auth.token) : null,
    openPaths: openPathSet(auth.open_paths ?? []),
    proxyUserHeader: config.trust_proxy && auth.trust_proxy_user ? auth.trust_proxy_user : null,
    identity: (user) => ({ user, groups: groups?.groupsOf(user) ?? [] }),
    close() {
      htpasswd?.close();
      groups?.close();
    },
  };
}
