/** The count of V2 upload sessions per client address (README "Limits"). */
import assert from 'node:assert/strict';
import { UploadQuota } from '../../lib/http/upload-quota.js';

describe('upload sessions per address', () => {
  const quota = (max: number, exists: (name: string, uuid: string) => Promise<boolean> = async () => true) => {
    const clock = { now: 1_000_000 };
    const q = new UploadQuota(max, exists, { idleMs: 60_000, now: () => clock.now });
    return { q, clock };
  };

  it('counts per address (an IPv6 /64 as one), and refuses with 429 at the cap', async () => {
    const { q } = quota(2);
    q.opened('10.0.0.1', 'a', 'u1');
    q.opened('10.0.0.1', 'a', 'u2');
    await assert.rejects(q.admit('10.0.0.1'), (err: Error & { status?: number; code?: string }) => err.status === 429 && err.code === 'TOOMANYREQUESTS');
    await q.admit('10.0.0.2');
    await q.admit('::ffff:10.0.0.3');
    q.opened('2001:db8:1:2::5', 'a', 'v1');
    q.opened('2001:db8:1:2:ffff::9', 'a', 'v2');
    await assert.rejects(q.admit('2001:db8:1:2::77'));
    await q.admit('2001:db8:1:3::5');
  });

  it('a session unused for an hour no longer counts; one with a request still running always does', async () => {
    const { q, clock } = quota(1);
    q.opened('10.0.0.1', 'a', 'idle');
    await assert.rejects(q.admit('10.0.0.1'));
    clock.now += 60_000;
    await q.admit('10.0.0.1');
    q.opened('10.0.0.1', 'a', 'busy');
    const done = q.using('busy');
    clock.now += 10 * 60_000;
    await assert.rejects(q.admit('10.0.0.1'), 'a long PATCH keeps its session counted');
    done();
    assert.equal(q.open('10.0.0.1'), 1);
    clock.now += 60_000;
    assert.equal(q.open('10.0.0.1'), 0);
  });

  it('at the cap, sessions that storage no longer has are dropped, looked up at most every 10 s', async () => {
    const stored = new Set(['u1', 'u2']);
    let lookups = 0;
    const { q, clock } = quota(2, async (_name, uuid) => {
      lookups++;
      return stored.has(uuid);
    });
    q.opened('10.0.0.1', 'a', 'u1');
    q.opened('10.0.0.1', 'a', 'u2');
    await assert.rejects(q.admit('10.0.0.1'));
    assert.equal(lookups, 2);
    stored.delete('u1');
    await assert.rejects(q.admit('10.0.0.1'), 'not looked up again so soon');
    assert.equal(lookups, 2);
    clock.now += 10_000;
    await q.admit('10.0.0.1');
    assert.equal(q.open('10.0.0.1'), 1);
    q.closed('u2');
    assert.equal(q.open('10.0.0.1'), 0);
  });

  it('0 is no cap', async () => {
    const { q } = quota(0);
    for (let i = 0; i < 5; i++) q.opened('10.0.0.1', 'a', `u${i}`);
    await q.admit('10.0.0.1');
  });
});
