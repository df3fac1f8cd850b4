/**
 * docker-registry's `requires_auth`: open in standalone mode or with disable_token_auth.
 * Otherwise the old registry validated the client's index token against index_endpoint on
 * every request; Berth does not do that yet, so it refuses (401, as for a missing token)
 * rather than let anyone in.
 */
import type { Middleware } from 'koa';
import type { Config } from '../../../config/load.js';
import { v1Error } from '../../../errors/registry-error.js';

export function requiresAuth(config: Readonly<Config>): Middleware {
  const open = config.standalone || config.disable_token_auth;
  return async (_ctx, next) => {
    if (!open) throw v1Error(401, 'Requires authorization', { 'WWW-Authenticate': 'Token' });
    await next();
  };
}
