import assert from 'node:assert/strict';
import { available, isCi } from './services.js';

describe('services harness: when missing services are an error', () => {
  it('only a true CI value counts as CI (CI=false runs skip missing services, as outside CI)', () => {
    for (const value of ['true', 'TRUE', '1', 'yes', 'on']) assert.equal(isCi({ CI: value }), true, value);
    for (const value of ['false', 'False', '0', 'no', 'off', '']) assert.equal(isCi({ CI: value }), false, value);
    assert.equal(isCi({}), false);
  });

  it('a missing tool fails under CI with a message naming it and the install command; outside CI it is a skip (false)', () => {
    const missing = 'berth-no-such-tool-4f1c';
    assert.throws(
      () => available('Frobnicator', 'frobnication', ['sh', missing], { CI: 'true' }),
      (e: Error) => e.message.includes(`missing: ${missing}`) && e.message.includes('CI must run the frobnication tests') && e.message.includes('install.sh'),
    );
    assert.equal(available('Frobnicator', 'frobnication', ['sh', missing], {}), false);
    assert.equal(available('Frobnicator', 'frobnication', ['sh'], { CI: 'true' }), true);
  });
});
