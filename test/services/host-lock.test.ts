import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HostLocks } from '../../lib/services/host-lock.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir } from '../support/config.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

  it('takes over a lock whose holder died (not touched for longer than the stale limit)', async () => {
    const dir = tempDir();
    const lock = path.join(dir, createHash('sha256').update('k').digest('hex').slice(0, 40));
    mkdirSync(lock);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    assert.equal(await new HostLocks(dir).run('k', async () => 'got it'), 'got it');
  });

  it('waits for a lock held by another process', async function () {
    this.timeout(20_000);
    const dir = tempDir();
    const log = path.join(tempDir(), 'order.log');
    writeFileSync(log, '');
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { HostLocks } from ${JSON.stringify(path.join(INSTALL_DIR, 'dist/services/host-lock.js'))};
         import { appendFileSync } from 'node:fs';
         await new HostLocks(${JSON.stringify(dir)}).run('image-y', async () => {
           appendFileSync(${JSON.stringify(log)}, 'child in\\n');
           await new Promise((r) => setTimeout(r, 500));
           appendFileSync(${JSON.stringify(log)}, 'child out\\n');
         });`,
      ],
      { stdio: 'inherit' },
    );
    const exited = new Promise((r) => child.on('exit', r));
    for (let i = 0; i < 200 && !readFileSync(log, 'utf8').includes('child in'); i++) await sleep(20);
    await new HostLocks(dir).run('image-y', async () => {
      writeFileSync(log, `${readFileSync(log, 'utf8')}parent in\n`);
    });
    await exited;
    assert.equal(readFileSync(log, 'utf8'), 'child in\nchild out\nparent in\n');
  });
});
