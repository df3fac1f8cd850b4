/**
 * What the banner and `--check-config` show: the effective settings with secrets replaced,
 * so the output can be pasted into a ticket.
 */
import { v2Enabled } from './features.js';
import type { Config } from './load.js';

const SECRET_KEY = /(password|secret|keysecret|token|_pass$)/i;

export function redactedConfig(config: Readonly<Config>): Record<string, unknown> {
  return redact(config) as Record<string, unknown>;
}

function redact(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (SECRET_KEY.test(key) && typeof value !== 'object') return '[redacted]';
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

/** One line of facts for the startup banner. */
export function bannerFields(config: Readonly<Config>, url: string) {
  const mail = config.email_exceptions;
  return {
    flavor: config.flavor,
    config: config.source.path,
    embeddedDefault: config.source.embedded,
    listen: url,
    storage: { driver: config.storage, path: config.storage_path, alternate: config.storage_alternate },
    standalone: config.standalone,
    v2: v2Enabled(config),
    mirror: config.mirroring.source,
    auth: 'off',
    email: mail.smtp_host ? `on (${mail.smtp_host}:${mail.smtp_port} → ${mail.to_addr})` : 'off',
    metrics: config.metrics ? '/metrics' : 'off',
    loglevel: config.loglevel,
  };
}
