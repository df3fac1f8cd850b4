import assert from 'node:assert/strict';
import { FailedLogins } from '../../lib/auth/failed-logins.js';
import { addressKey } from '../../lib/names/client-address.js';

function clocked(options: ConstructorParameters<typeof FailedLogins>[0] = {}) {
  const clock = { now: 1_000_000 };
  return { logins: new FailedLogins({ ...options, now: () => clock.now }), clock };
}

const failTimes = (logins: FailedLogins, address: string, n: number) => {
  for (let i = 0; i < n; i++) logins.failed(address);
};

describe('auth: failed-login delays', () => {
  it('the first five failures are free; then 250 ms, doubling, at most 10 s', () => {
    const { logins } = clocked();
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      delays.push(logins.delayFor('10.0.0.1'));
      logins.failed('10.0.0.1');
    }
    assert.deepEqual(delays, [0, 0, 0, 0, 0, 250, 500, 1000, 2000, 4000, 8000, 10_000]);
    failTimes(logins, '10.0.0.1', 100);
    assert.equal(logins.delayFor('10.0.0.1'), 10_000, 'no overflow after many failures');
  });

  it('other addresses are not slowed', () => {
    const { logins } = clocked();
    failTimes(logins, '10.0.0.1', 8);
    assert.equal(logins.delayFor('10.0.0.2'), 0);
  });

  it('a success forgets the address', () => {
    const { logins } = clocked();
    failTimes(logins, '10.0.0.1', 8);
    logins.succeeded('10.0.0.1');
    assert.equal(logins.delayFor('10.0.0.1'), 0);
    failTimes(logins, '10.0.0.1', 5);
    assert.equal(logins.delayFor('10.0.0.1'), 250, 'counting starts again from nothing');
  });

  it('failures are forgotten after 15 quiet minutes; a failure within them keeps the count', () => {
    const { logins, clock } = clocked();
    failTimes(logins, '10.0.0.1', 6);
    clock.now += 14 * 60_000;
    assert.equal(logins.delayFor('10.0.0.1'), 500);
    logins.failed('10.0.0.1');
    clock.now += 14 * 60_000;
    assert.equal(logins.delayFor('10.0.0.1'), 1000, 'the window runs from the last failure');
    clock.now += 60_000;
    assert.equal(logins.delayFor('10.0.0.1'), 0);
    assert.equal(logins.size, 0, 'and the address is dropped');
  });

  it('memory is capped: past maxAddresses, the address that failed least recently is forgotten', () => {
    const { logins } = clocked({ maxAddresses: 3, freeFailures: 0 });
    for (const a of ['a', 'b', 'c']) logins.failed(a);
    logins.failed('a'); // a is now the most recent
    logins.failed('d');
    assert.equal(logins.size, 3);
    assert.equal(logins.delayFor('b'), 0, 'b went first');
    assert.equal(logins.delayFor('a'), 1000, 'two failures, none free');
    assert.equal(logins.delayFor('c'), 500);
    assert.equal(logins.delayFor('d'), 500);
    for (let i = 0; i < 10_000; i++) logins.failed(`flood-${i}`);
    assert.equal(logins.size, 3);
  });

  it('the defaults hold 10,000 addresses', () => {
    const { logins } = clocked();
    for (let i = 0; i < 10_050; i++) logins.failed(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(logins.size, 10_000);
  });

  it('freeFailures is configurable', () => {
    const { logins } = clocked({ freeFailures: 2 });
    failTimes(logins, 'x', 2);
    assert.equal(logins.delayFor('x'), 250);
  });

  it('an IPv6 address counts as its /64; an IPv4-mapped address as the IPv4 one', () => {
    assert.equal(addressKey('10.0.0.1'), '10.0.0.1');
    assert.equal(addressKey('::ffff:10.0.0.1'), '10.0.0.1');
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:0db8:0001:0002::/64');
    assert.equal(addressKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee'), '2001:0db8:0001:0002::/64');
    assert.equal(addressKey('2001:db8::1'), '2001:0db8:0000:0000::/64');
    assert.equal(addressKey('::1'), '0000:0000:0000:0000::/64');
    const { logins } = clocked();
    for (let i = 0; i < 8; i++) logins.failed(`2001:db8:1:2::${(i + 1).toString(16)}`);
    assert.equal(logins.delayFor('2001:db8:1:2:ffff::9'), 2000, 'one host walking its /64 is one address');
    assert.equal(logins.delayFor('2001:db8:1:3::1'), 0, 'the next /64 is someone else');
  });

  it('once an address is slowed down, its parallel checks run one at a time, each after its wait', async () => {
    const logins = new FailedLogins({ freeFailures: 1, baseDelayMs: 5, maxDelayMs: 50 });
    let running = 0;
    let most = 0;
    const guess = () =>
      logins.check('10.0.0.7', async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        logins.failed('10.0.0.7');
        return false;
      });
    await guess(); // free: runs at once
    assert.equal(logins.delayFor('10.0.0.7'), 5);
    const results = await Promise.all(Array.from({ length: 6 }, guess));
    assert.deepEqual(results, Array(6).fill(false));
    assert.equal(most, 1, 'never two guesses at once');
    assert.equal(logins.delayFor('10.0.0.7'), 50, 'each failure counted, so the waits grew');
    const other = await new FailedLogins().check('10.0.0.8', async () => 'at once');
    assert.equal(other, 'at once');
  });
});
