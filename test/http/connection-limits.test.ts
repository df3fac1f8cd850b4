/** The automatic connection caps (README "Limits"), from the config and the process's open-file limit. */
import assert from 'node:assert/strict';
import { connectionCaps, openFileLimit } from '../../lib/http/connection-limits.js';

const caps = (fileLimit: number | null, extra: Partial<Parameters<typeof connectionCaps>[0]> = {}) =>
  connectionCaps({ max_connections: null, max_connections_per_client: null, trust_proxy: false, ...extra }, fileLimit);

describe('connection caps from the config and the open-file limit', () => {
  it('absent: half of what the open-file limit leaves after 100, at most 10000; a client gets half of that', () => {
    assert.deepEqual(caps(600), { max: 250, perClient: 125, overflow: 25 });
    assert.deepEqual(caps(1024), { max: 462, perClient: 231, overflow: 47 });
    assert.deepEqual(caps(524288), { max: 10000, perClient: 5000, overflow: 1000 });
    assert.deepEqual(caps(120), { max: 16, perClient: 8, overflow: 16 });
  });

  it('no readable limit: no cap; behind a trusted proxy: no cap per address; explicit values win, 0 is off', () => {
    assert.deepEqual(caps(null), { max: 0, perClient: 0, overflow: 16 });
    assert.equal(caps(600, { trust_proxy: true }).perClient, 0);
    assert.deepEqual(caps(600, { max_connections: 5000, max_connections_per_client: 0 }), { max: 5000, perClient: 0, overflow: 500 });
    assert.deepEqual(caps(600, { max_connections: 0 }), { max: 0, perClient: 0, overflow: 16 });
  });

  it('the open-file limit of this process can be read (Linux)', () => {
    const limit = openFileLimit();
    assert.ok(limit === null || limit > 0);
    if (process.platform === 'linux') assert.ok(limit !== null && limit >= 64, String(limit));
  });
});
