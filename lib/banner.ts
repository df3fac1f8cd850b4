/**
 * The facts of the startup banner: what the server actually does with this config (where the
 * data goes when storage_path is unset, who may push), not merely what the file says.
 */
import { v2Enabled } from './config/features.js';
import type { Config } from './config/load.js';
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
    mirror: config.mirroring.source,
    auth: authSummary(config),
    email: mail.smtp_host ? `on (${mail.smtp_host}:${mail.smtp_port} → ${mail.to_addr})` : 'off',
    metrics: config.metrics ? '/metrics' : 'off',
    loglevel: config.loglevel,
  };
}

/** Who may use each API: V1 asks the index in token mode (routes/v1/auth.ts); V2 has no auth of its own. */
function authSummary(config: Readonly<Config>): string {
  const v1 = config.standalone
    ? 'none (standalone)'
    : config.disable_token_auth
      ? 'none (disable_token_auth)'
      : `index tokens, checked with ${config.index_endpoint}`;
  return `V1: ${v1}; V2: ${v2Enabled(config) ? 'none' : 'off'}`;
}
