import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HostLocks, lockName, type Takeover } from '../../lib/services/host-lock.js';
import { LeaseFiles, Leases } from '../../lib/services/leases.js';
import { currentHolder } from '../../lib/services/lock-holder.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { startChurning } from '../support/churning-locker.js';
import { tempDir } from '../support/config.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Another process (the built dist) that takes `key` and holds it `holdMs` (null: until killed), logging 'child in' and 'child out'. */
function lockInChild(dir: string, key: string, log: string, holdMs: number | null) {
  writeFileSync(log, '');
  const hold = holdMs === null ? 'new Promise(() => {})' : `new Promise((r) => setTimeout(r, ${holdMs}))`;
  return spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { HostLocks } from ${JSON.stringify(path.join(INSTALL_DIR, 'dist/services/host-lock.js'))};
       import { appendFileSync } from 'node:fs';
       await new HostLocks(${JSON.stringify(dir)}).run(${JSON.stringify(key)}, async () => {
         appendFileSync(${JSON.stringify(log)}, 'child in\\n');
         await ${hold};
         appendFileSync(${JSON.stringify(log)}, 'child out\\n');
       });`,
    ],
    { stdio: 'inherit' },
  );
}

describe('host locks (pushes serialised across worker processes)', () => {
  it('two lock holders on one directory never run the same key at once', async () => {
    const dir = tempDir();
    const [a, b] = [new HostLocks(dir), new HostLocks(dir)];
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(15);
      inside--;
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).run('image-x', work)));
    assert.equal(most, 1);
  });

  it('different keys do not wait for each other', async () => {
    const locks = new HostLocks(tempDir());
    const order: string[] = [];
    await Promise.all([
      locks.run('one', async () => {
        order.push('one in');
        await sleep(100);
        order.push('one out');
      }),
      locks.run('two', async () => {
        order.push('two in');
        await sleep(10);
        order.push('two out');
      }),
    ]);
    // 'two' ran to its end while 'one' still held its lock: different keys do not wait for each other.
    assert.ok(order.indexOf('two out') < order.indexOf('one out'), order.join(', '));
  });

  it('takes over an old-style lock (no holder recorded) once it is not touched for longer than the stale limit', async () => {
    const dir = tempDir();
    const lock = path.join(dir, createHash('sha256').update('k').digest('hex').slice(0, 40));
    mkdirSync(lock);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const locks = new HostLocks(dir);
    assert.equal(await locks.run('k', async () => 'got it'), 'got it');
    assert.deepEqual(locks.takeovers, { 'holder-gone': 0, stale: 1 });
  });

  it('a lock whose holder was killed (SIGKILL) is taken at once: its process is gone', async function () {
    this.timeout(20_000);
    const dir = tempDir();
    const log = path.join(tempDir(), 'child.log');
    const child = lockInChild(dir, 'image-z', log, null);
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 500 && !readFileSync(log, 'utf8').includes('child in'); i++) await sleep(20);
    assert.equal(readFileSync(log, 'utf8'), 'child in\n');
    child.kill('SIGKILL');
    await exited;

    const seen: Takeover[] = [];
    // A stale limit of ten minutes: only the dead holder can explain getting the lock now.
    const locks = new HostLocks(dir, { staleMs: 600_000, onTakeover: (t) => seen.push(t) });
    assert.equal(await locks.run('image-z', async () => 'taken'), 'taken');
    assert.deepEqual(locks.takeovers, { 'holder-gone': 1, stale: 0 });
    assert.equal(seen[0]?.reason, 'holder-gone');
    assert.equal(JSON.parse(seen[0]?.holder ?? '{}').pid, child.pid);
  });

  it('a holder pid now used by another process (another start time) is gone; a running holder is waited for', async () => {
    const dir = tempDir();
    const forge = (key: string, holder: object) => {
      const lock = path.join(dir, lockName(key));
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'holder'), JSON.stringify({ ...holder, key, nonce: key }));
    };
    const me = currentHolder();
    assert.ok(me.start, 'this host has /proc');
    forge('reused', { ...me, start: String(Number(me.start) - 1) }); // this process's pid, but not this process
    forge('running', me); // this very process: running
    forge('elsewhere', { ...me, host: 'boot:another-machine' }); // pids of another host cannot be checked
    const locks = new HostLocks(dir, { staleMs: 600_000 });
    assert.equal(await locks.run('reused', async () => 'taken'), 'taken');
    assert.deepEqual(locks.takeovers, { 'holder-gone': 1, stale: 0 });
    // The other two are taken only when stale, which a short limit makes happen now.
    const shortLimit = new HostLocks(dir, { staleMs: 300 });
    await sleep(400);
    await shortLimit.run('running', async () => {});
    await shortLimit.run('elsewhere', async () => {});
    assert.deepEqual(shortLimit.takeovers, { 'holder-gone': 0, stale: 2 });
  });

  it("many waiters on a dead holder's lock: one takes it over, and they still run one at a time", async () => {
    const dir = tempDir();
    const lock = path.join(dir, lockName('contended'));
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'holder'), JSON.stringify({ ...currentHolder(), start: '1', key: 'contended', nonce: 'x' }));
    const waiters = Array.from({ length: 8 }, () => new HostLocks(dir, { staleMs: 600_000 }));
    let inside = 0;
    let most = 0;
    await Promise.all(
      waiters.map((w) =>
        w.run('contended', async () => {
          inside++;
          most = Math.max(most, inside);
          await sleep(5);
          inside--;
        }),
      ),
    );
    assert.equal(most, 1);
    assert.equal(
      waiters.reduce((n, w) => n + w.takeovers['holder-gone'] + w.takeovers.stale, 0),
      1,
    );
  });

  it('a holder killed (SIGKILL) at any instant of taking, holding or releasing leaves no lock or lease that holds up the next process', async function () {
    // Before lock and lease files were written whole and renamed into place, a kill between a
    // lock's mkdir and its holder file, or while a lease file was being rewritten, left a lock
    // or lease with no holder to check: the next push waited out the stale limit (30 s, 20 s).
    this.timeout(90_000);
    const rounds = 20;
    const held: string[] = [];
    const dir = tempDir();
    for (let round = 0; round < rounds; round++) {
      const key = 'image-churn';
      const churning = await startChurning(dir, key);
      await sleep(Math.random() * 30);
      await churning.crash();
      // Stale limits of ten minutes: only seeing the holder gone can explain getting them now.
      const locks = new HostLocks(dir, { staleMs: 600_000 });
      const leases = new Leases(new LeaseFiles(dir), { idleMs: 600_000 });
      const taken = locks.run(key, async () => {
        const claimed = await leases.claim(key);
        if (claimed) await leases.release(key);
        return claimed ? 'lock and lease' : 'lock, but the lease is held';
      });
      const outcome = await Promise.race([taken, sleep(3_000).then(() => 'the lock is still held 3 s after its holder was killed')]);
      if (outcome !== 'lock and lease') {
        // Left waiting for the stale limit: nothing more can be tried on this key.
        held.push(`round ${round}: ${outcome}`);
        break;
      }
    }
    assert.deepEqual(held, [], 'a kill left a lock or lease behind');
    // Nothing half-made is left in lock_dir either, once the next process has taken a lock.
    assert.deepEqual(readdirSync(dir).sort(), ['.making', 'leases']);
    assert.deepEqual(readdirSync(path.join(dir, '.making')), []);
    assert.deepEqual(readdirSync(path.join(dir, 'leases')), []);
  });

  it('waits for a lock held by another process', async function () {
    this.timeout(20_000);
    const dir = tempDir();
    const log = path.join(tempDir(), 'order.log');
    const child = lockInChild(dir, 'image-y', log, 500);
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 200 && !readFileSync(log, 'utf8').includes('child in'); i++) await sleep(20);
    await new HostLocks(dir).run('image-y', async () => {
      writeFileSync(log, `${readFileSync(log, 'utf8')}parent in\n`);
    });
    await exited;
    assert.equal(readFileSync(log, 'utf8'), 'child in\nchild out\nparent in\n');
  });
});
