import type { Logger } from '../logging/logger.js';
import type { Token } from '../services/v1/tokens.js';

/** Which envelope errors are rendered in: V1 `{"error"}` or V2 `{"errors": [...]}`. */
export type ApiFamily = 'v1' | 'v2';

/** What Berth's middleware puts on `ctx.state`. */
export interface RequestState {
  reqId: string;
  log: Logger;
  /** set when a router family is mounted; unmatched requests fall back to the path prefix */
  apiFamily?: ApiFamily;
  /** the V1 index token that authorised this request (token mode only) */
  token?: Token;
}

export function familyOf(state: Partial<RequestState>, path: string): ApiFamily {
  return state.apiFamily ?? (path === '/v2' || path.startsWith('/v2/') ? 'v2' : 'v1');
}
