/** The rules that tell a crashed writer's temp file from a live writer's (lib/storage/writer-id.ts), without a disk. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  computeHostId,
  hostId,
  processAlive,
  processStartMs,
  type ReclaimContext,
  reclaimReason,
  TEMP_PREFIX,
  tempName,
  writerOf,
} from '../../lib/storage/writer-id.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOST = 'a1b2c3d4e5f6';
const OTHER = '0f0f0f0f0f0f';

/** Alive: only pid 100, which started at NOW - 2 h. */
const ctx: ReclaimContext = { host: HOST, now: NOW, maxAgeMs: 24 * HOUR, alive: (pid, modifiedMs) => pid === 100 && NOW - 2 * HOUR <= modifiedMs };

describe('writer ids in temp file names', () => {
  it('a temp name carries this host and this pid, and reads back', () => {
    const name = tempName('data');
    assert.ok(name.startsWith(TEMP_PREFIX));
    assert.ok(name.endsWith('.data'));
    assert.deepEqual(writerOf(name), { host: hostId(), pid: process.pid });
    assert.match(hostId(), /^[0-9a-f]{12}$/);
  });

  it('an object name of 255 bytes still gives a temp name within NAME_MAX, multi-byte names included', () => {
    for (const name of ['x'.repeat(255), `x${'ü'.repeat(127)}`]) {
      const temp = tempName(name);
      assert.ok(Buffer.byteLength(temp) <= 255, `${Buffer.byteLength(temp)} bytes`);
      assert.deepEqual(writerOf(temp), { host: hostId(), pid: process.pid });
    }
  });

  it('names from before writers were named, and other files, carry no writer', () => {
    for (const name of ['.berth-tmp-data.0123456789ab', '.berth-tmp-tag_latest.a1b2c3d4e5f6', 'data', `${TEMP_PREFIX}${HOST}.0.0123456789ab.x`]) {
      assert.equal(writerOf(name), null, name);
    }
  });

  it('the host id is the hostname, boot and pid namespace together', () => {
    const a = computeHostId('reg1', 'boot-1\n', 'pid:[4026531836]');
    assert.equal(a, computeHostId('reg1', 'boot-1', 'pid:[4026531836]'));
    assert.notEqual(a, computeHostId('reg2', 'boot-1', 'pid:[4026531836]'), 'another machine');
    assert.notEqual(a, computeHostId('reg1', 'boot-2', 'pid:[4026531836]'), 'the same machine after a reboot');
    assert.notEqual(a, computeHostId('reg1', 'boot-1', 'pid:[4026532001]'), 'another container on the machine');
  });
});

describe('which temp files are leftovers', () => {
  const file = (name: string, idleMs: number) => ({ name, modifiedMs: NOW - idleMs });
  const named = (host: string, pid: number) => `${TEMP_PREFIX}${host}.${pid}.0123456789ab.data`;

  it('this host, writer gone: reclaimed at once, however fresh', () => {
    assert.match(reclaimReason(file(named(HOST, 4242), 1000), ctx) ?? '', /pid 4242 on this host\) is gone/);
  });

  it('this host, writer alive: kept, however old', () => {
    assert.equal(reclaimReason(file(named(HOST, 100), HOUR), ctx), null);
  });

  it('this host, pid reused by a process that started after the last write: reclaimed', () => {
    assert.ok(reclaimReason(file(named(HOST, 100), 3 * HOUR), ctx));
  });

  it('another host: kept while younger than the age, reclaimed after', () => {
    assert.equal(reclaimReason(file(named(OTHER, 4242), 23 * HOUR), ctx), null);
    assert.match(reclaimReason(file(named(OTHER, 4242), 25 * HOUR), ctx) ?? '', /another host \(0f0f0f0f0f0f, pid 4242\), untouched for 25\.0 h/);
  });

  it('a name from before writers were named: by age only', () => {
    assert.equal(reclaimReason(file('.berth-tmp-layer.0123456789ab', 23 * HOUR), ctx), null);
    assert.match(reclaimReason(file('.berth-tmp-layer.0123456789ab', 25 * HOUR), ctx) ?? '', /untouched for 25\.0 h/);
  });

  it('never a file that is not a temp file', () => {
    assert.equal(reclaimReason(file('data', 1000 * HOUR), ctx), null);
  });
});

describe('process liveness', () => {
  it('this process is alive; a process that ended is not; pid 0 and negatives never are', () => {
    assert.equal(processAlive(process.pid, Date.now()), true);
    const gone = spawnSync(process.execPath, ['-e', '0']).pid as number;
    assert.equal(processAlive(gone, Date.now()), false);
    assert.equal(processAlive(0, Date.now()), false);
    assert.equal(processAlive(-1, Date.now()), false);
  });

  it('a live pid that started after the file was last written is not its writer', function () {
    const started = processStartMs(process.pid);
    if (started === null) return this.skip(); // no /proc
    assert.ok(Math.abs(started - (Date.now() - process.uptime() * 1000)) < 3000, 'start time from /proc');
    assert.equal(processAlive(process.pid, started - 60_000), false);
    assert.equal(processAlive(process.pid, started + 1), true);
  });
});
