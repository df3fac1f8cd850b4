/**
 * Whether this server offers the V2 API. By default yes, except where V1 runs in token mode
 * (standalone false, token auth on) without Berth's own auth: V2 clients cannot present the
 * index's tokens, so V2 there would be open to anyone. Such a registry stays V1-only, as it was, unless `v2_enabled: true`
 * says that something in front (nginx with auth on /v2/) guards it.
 */
import type { Config } from './load.js';

export function v2Enabled(config: Readonly<Config>): boolean {
  return config.v2_enabled ?? (config.standalone || config.disable_token_auth || authOn(config));
}

/** Berth checks credentials itself (`auth:` with an htpasswd file or a token server); V2 is then guarded too. */
export function authOn(config: Readonly<Config>): boolean {
  return Boolean(config.auth && (config.auth.htpasswd || config.auth.token));
}

/**
 * Whether the web page at /ui/ is served: unless `ui: false`, wherever reading the registry is
 * already open to its callers or checked by Berth itself. In V1 token mode without Berth's own
 * auth the external index decides who may read what, and the page (which cannot ask it) would
 * show every repository to anyone: there it is off.
 */
export function uiServed(config: Readonly<Config>): boolean {
  return config.ui.enabled && (config.standalone || config.disable_token_auth || authOn(config));
}
