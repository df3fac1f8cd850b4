import assert from 'node:assert/strict';
import { parseQueuedId } from '../../lib/cli/diff-worker.js';

const A = 'da'.repeat(32);

describe('diff queue entries', () => {
  it('only a JSON-quoted image id is taken; anything else is dropped', () => {
    assert.equal(parseQueuedId(JSON.stringify(A)), A);
    for (const bad of ['not json', '"../../etc/passwd"', JSON.stringify(A.toUpperCase()), '42', '["x"]', '""']) assert.equal(parseQueuedId(bad), null, bad);
  });
});
