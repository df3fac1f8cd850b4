/**
 * docker-registry's `requires_auth` (spec v1 §1.3): open in standalone mode or with
 * disable_token_auth; otherwise every image and repository route needs an index token that
 * allows the request, validated by TokenService. The token is left on ctx.state for `PUT json`.
 */
import type { Middleware } from 'koa';
import type { Config } from '../../../config/load.js';
import type { RepositoryName } from '../../../names/v1.js';
import type { TokenService } from '../../../services/v1/tokens.js';
import type { RequestState } from '../../state.js';
import { parseRepository } from '../../v1-names.js';

const SUFFIXES = [/\/tags\/[^/]+\/json$/, /\/tags\/[^/]+$/, /\/tags$/, /\/json$/, /\/properties$/, /\/images$/, /\/auth$/];

export function requiresAuth(config: Readonly<Config>, tokens: TokenService): Middleware<RequestState> {
  const open = config.standalone || config.disable_token_auth;
  return async (ctx, next) => {
    if (!open) ctx.state.token = await tokens.authorize(ctx.get('Authorization') || undefined, ctx.method, repositoryOf(ctx.path));
    await next();
  };
}

/** The repository a /v1/repositories/… path names, with the route suffix taken off (as werkzeug's rules split it). */
function repositoryOf(path: string): RepositoryName | null {
  const prefix = '/v1/repositories/';
  if (!path.startsWith(prefix)) return null;
  let rest = path.slice(prefix.length);
  for (const suffix of SUFFIXES) {
    if (suffix.test(rest)) {
      rest = rest.replace(suffix, '');
      break;
    }
  }
  let decoded = rest;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    // lenient, as werkzeug
  }
  return parseRepository(decoded);
}
