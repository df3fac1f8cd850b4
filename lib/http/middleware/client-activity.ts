/**
 * Notes each registry request that succeeded in the client activity record (the migration
 * view's "who still speaks V1"): its API family, User-Agent, address, and the repository it
 * named with what it did there. Pings and the page itself are not client activity.
 */
import type { Middleware } from 'koa';
import { repositoryKey } from '../../names/v1.js';
import type { ActivityRecord } from '../../services/activity/activity-record.js';
import type { ClientAction } from '../../services/activity/client-activity.js';
import { recordKeyOf } from '../../services/bridge/names.js';
import { familyOf, type RequestState } from '../state.js';

const PINGS = new Set(['/v1/_ping', '/v2', '/v2/']);
const ACTION_OF: Record<string, ClientAction> = { GET: 'pull', HEAD: 'pull', PUT: 'push', POST: 'push', PATCH: 'push', DELETE: 'delete' };

export function clientActivity(record: ActivityRecord): Middleware<RequestState> {
  return async (ctx, next) => {
    const address = ctx.ip;
    await next();
    const path = ctx.path;
    if (!(path.startsWith('/v1/') || path.startsWith('/v2/')) || PINGS.has(path) || ctx.status >= 400) return;
    const action = ACTION_OF[ctx.method];
    if (!action) return;
    const { name, repository } = ctx.state;
    record.note({
      protocol: familyOf(ctx.state, path),
      agent: ctx.get('User-Agent'),
      address,
      // One key per repository across the protocols (V2 `x` is V1 `library/x`).
      repository: name ? recordKeyOf(name) : repository ? repositoryKey(repository) : null,
      action,
    });
  };
}
