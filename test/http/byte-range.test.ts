import assert from 'node:assert/strict';
import { parseBlobRange } from '../../lib/http/byte-range.js';

describe('V2 blob ranges (RFC 9110)', () => {
  it('single ranges, suffixes and clamping', () => {
    assert.deepEqual(parseBlobRange('bytes=500-1499', 3000), { kind: 'partial', start: 500, end: 1499 });
    assert.deepEqual(parseBlobRange('bytes=-500', 3000), { kind: 'partial', start: 2500, end: 2999 });
    assert.deepEqual(parseBlobRange('bytes=-5000', 3000), { kind: 'partial', start: 0, end: 2999 });
    assert.deepEqual(parseBlobRange('bytes=2000-5000', 3000), { kind: 'partial', start: 2000, end: 2999 });
  });
  it('impossible ranges are unsatisfiable; other forms get the whole blob', () => {
    for (const r of ['bytes=500-0', 'bytes=3000-', 'bytes=-0']) assert.deepEqual(parseBlobRange(r, 3000), { kind: 'unsatisfiable' }, r);
    for (const r of ['', 'bytes=1-2,4-5', 'items=1-2', 'bytes=-']) assert.deepEqual(parseBlobRange(r, 3000), { kind: 'full' }, r);
  });
});
