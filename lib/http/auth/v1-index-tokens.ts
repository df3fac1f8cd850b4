/**
 * Access as docker-registry checked it in token mode (`standalone: false`;
 * docker/docker-registry `docker_registry/toolkit.py` `requires_auth`): every image and
 * repository route of the V1 API needs an external index's token that allows the request's
 * method on the route's repository, validated by TokenService. The token is left on ctx.state
 * for the checks `PUT json` and private reads make. Everything else (V2, search, the pings)
 * is not this mode's business, as before.
 */
import type { TokenService } from '../../services/v1/tokens.js';
import type { Authorizer } from '../access.js';

export function v1IndexTokenAuthorizer(tokens: TokenService): Authorizer {
  return {
    async authorize(ctx, need) {
      if (ctx.state.apiFamily !== 'v1' || need.resource === 'registry') return;
      ctx.state.token = await tokens.authorize(ctx.get('Authorization') || undefined, ctx.method, ctx.state.repository ?? null);
    },
  };
}
