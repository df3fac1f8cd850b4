/**
 * The facts of the startup banner: what the server actually does with this config (where the
 * data goes when storage_path is unset, who may push), not merely what the file says.
 */
import { authOn, v2Enabled } from './config/features.js';
import type { Config } from './config/load.js';
import { hideUrlPasswords } from './config/url-passwords.js';
import { connectionCaps } from './http/connection-limits.js';
import { glanceAlternate, storageRoot } from './storage/validate.js';

export function bannerFields(config: Readonly<Config>, url: string) {
  const mail = config.email_exceptions;
  return {
    flavor: config.flavor,
    config: config.source.path,
    embeddedDefault: config.source.embedded,
    listen: url,
    storage: { driver: config.storage, path: storageRoot(config), alternate: config.storage === 'glance' ? glanceAlternate(config) : null },
    standalone: config.standalone,
    v2: v2Enabled(config),
    mirror: config.mirroring.source === null ? null : hideUrlPasswords(config.mirroring.source),
    mirrorMode: config.mirroring.source === null ? null : mirrorMode(config.mirroring),
    auth: hideUrlPasswords(authSummary(config)),
    email: mail.smtp_host ? `on (${mail.smtp_host}:${mail.smtp_port} → ${mail.to_addr})` : 'off',
    metrics: config.metrics ? '/metrics' : 'off',
    connections: connectionsSummary(config),
    locks: locksSummary(config),
    loglevel: config.loglevel,
  };
}

/** Where the per-image and per-upload locks are (services/shared-locking.ts): who they serialise. */
function locksSummary(config: Readonly<Config>): string {
  const { host, port } = config.cache;
  return host ? `redis ${host}:${port} (every instance using it; lifetime ${config.shared_lock_ttl} s)` : `lock_dir ${config.lock_dir} (this host only)`;
}

/**
 * The warning logged beside the banner when S3 storage is used without a shared lock service:
 * a second instance on the bucket would not see this one's locks (README "Several instances
 * on one store"). Null when there is nothing to warn about.
 */
export function sharedLockWarning(config: Readonly<Config>): string | null {
  if (config.storage !== 's3' || config.cache.host) return null;
  return (
    'S3 storage without a shared lock service: pushes are serialised through lock_dir, on this host only. ' +
    'Run Berth on one host for this bucket, or set `cache` (a Redis) on every instance (README "Several instances on one store")'
  );
}

/** Who may use each API: Berth's own auth (lib/http/auth/registry-authorizer.ts), else V1 asks the index in token mode (lib/http/auth/v1-index-tokens.ts). */
function authSummary(config: Readonly<Config>): string {
  const auth = config.auth;
  if (auth && authOn(config)) {
    const how = [auth.htpasswd ? `htpasswd ${auth.htpasswd.path}` : null, auth.token ? `tokens of ${auth.token.realm}` : null].filter(Boolean).join(' and ');
    return `V1 and V2: ${how}${auth.anonymous_read ? ' (anyone may pull)' : ''}`;
  }
  const v1 = config.standalone
    ? 'none (standalone)'
    : config.disable_token_auth
      ? 'none (disable_token_auth)'
      : `index tokens, checked with ${config.index_endpoint}`;
  return `V1: ${v1}; V2: ${v2Enabled(config) ? 'none' : 'off'}`;
}

/** The connection caps in force (README "Limits"): the automatic one depends on this process's open-file limit. */
function connectionsSummary(config: Readonly<Config>): string {
  const { max, perClient } = connectionCaps(config);
  return `${max === 0 ? 'no cap' : `at most ${max}`}, ${perClient === 0 ? 'no cap per address' : `${perClient} per address`}`;
}

/** What a mirror does with its source (README "Keep Docker 1.x hosts pulling"). */
function mirrorMode(m: Readonly<Config['mirroring']>): string {
  if (m.protocol === 'v1') return 'V1 mirror';
  const writes = m.allow_push ? 'pushes kept here' : 'pushes refused';
  const budget = m.max_bytes ? `, at most ${m.max_bytes} bytes of blobs` : '';
  return `pull-through cache of a V2 registry for V1 and V2 clients (${m.protocol === 'auto' ? 'V2 if its /v2/ answers' : 'V2'}; ${writes}${budget})`;
}
