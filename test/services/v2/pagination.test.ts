import assert from 'node:assert/strict';
import { RegistryError } from '../../../lib/errors/registry-error.js';
import { paginate, parsePageSize } from '../../../lib/services/v2/pagination.js';

describe('V2 pagination (n, last, Link)', () => {
  const tags = ['a', 'b', 'c', 'd', 'e'];
  it('n entries and a next page while more remain', () => {
    assert.deepEqual(paginate(tags, 2, undefined), { items: ['a', 'b'], next: 'last=b&n=2' });
    assert.deepEqual(paginate(tags, 2, 'b'), { items: ['c', 'd'], next: 'last=d&n=2' });
    assert.deepEqual(paginate(tags, 2, 'd'), { items: ['e'], next: null });
  });
  it('last is exclusive and need not exist; n=0 is an empty page without a link; no n is everything', () => {
    assert.deepEqual(paginate(tags, null, 'bb'), { items: ['c', 'd', 'e'], next: null });
    assert.deepEqual(paginate(tags, 0, undefined), { items: [], next: null });
    assert.deepEqual(paginate(tags, 5, undefined), { items: tags, next: null });
    assert.deepEqual(paginate(tags, 3, 'z'), { items: [], next: null });
  });
  it('n must be a whole number', () => {
    assert.equal(parsePageSize('10'), 10);
    assert.equal(parsePageSize(undefined), null);
    for (const bad of ['-1', 'x', '1.5', ['1', '2']]) {
      assert.throws(
        () => parsePageSize(bad),
        (e: unknown) => e instanceof RegistryError && e.code === 'PAGINATION_NUMBER_INVALID',
      );
    }
  });
});
