import assert from 'node:assert/strict';
import { isCi } from './services.js';

describe('services harness: when missing services are an error', () => {
  it('only a true CI value counts as CI (CI=false runs skip missing services, as outside CI)', () => {
    for (const value of ['true', 'TRUE', '1', 'yes', 'on']) assert.equal(isCi({ CI: value }), true, value);
    for (const value of ['false', 'False', '0', 'no', 'off', '']) assert.equal(isCi({ CI: value }), false, value);
    assert.equal(isCi({}), false);
  });
});
