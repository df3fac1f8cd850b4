import assert from 'node:assert/strict';
import { ALWAYS_OPEN_PATHS, OPENABLE_PATHS, openPathSet } from '../../lib/auth/open-paths.js';

describe('auth: open paths', () => {
  it('the pings are always open; auth.open_paths adds to them', () => {
    assert.deepEqual([...openPathSet([])].sort(), ['/_ping', '/healthz', '/readyz', '/v1/_ping']);
    const open = openPathSet(['/metrics']);
    assert.ok(open.has('/metrics') && open.has('/_ping'));
    assert.ok(!open.has('/_status'));
  });

  it('nothing that reaches a repository or the V2 base can be opened', () => {
    for (const p of [...ALWAYS_OPEN_PATHS, ...OPENABLE_PATHS]) assert.doesNotMatch(p, /^\/v2|repositories|images|search/);
  });
});
