import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeDirWhole, reclaimMaking, removeDirWhole, writeWhole } from '../../lib/services/lock-files.js';
import { hostId, tempName } from '../../lib/storage/writer-id.js';
import { tempDir } from '../support/config.js';

describe('lock files (records in lock_dir made whole)', () => {
  it('a directory is made with its file in one step, never over one that exists, and removed in one step', async () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    assert.equal(await makeDirWhole(dir, lock, 'holder', 'me'), true);
    assert.equal(readFileSync(path.join(lock, 'holder'), 'utf8'), 'me');
    assert.equal(await makeDirWhole(dir, lock, 'holder', 'you'), false);
    assert.equal(readFileSync(path.join(lock, 'holder'), 'utf8'), 'me', 'the lock that was there is untouched');
    assert.equal(await removeDirWhole(dir, lock), true);
    assert.equal(await removeDirWhole(dir, lock), false);
    assert.deepEqual(readdirSync(dir).sort(), ['.making']);
    assert.deepEqual(readdirSync(path.join(dir, '.making')), [], 'nothing left on the way');
  });

  it('a record is replaced whole', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'lease');
    await writeWhole(dir, file, 'first');
    await writeWhole(dir, file, 'second');
    assert.equal(readFileSync(file, 'utf8'), 'second');
    assert.deepEqual(readdirSync(path.join(dir, '.making')), []);
  });

  it("sweeps what killed makers left: their records being made (named for their process) and removals, never a live maker's", async () => {
    const dir = tempDir();
    const making = path.join(dir, '.making');
    mkdirSync(making);
    const ended = spawnSync(process.execPath, ['-e', '']).pid as number; // a pid that has exited
    const entries = {
      deadMaker: `${tempName('new', hostId(), ended)}.new`,
      liveMaker: `${tempName('new')}.new`,
      removal: `${tempName('gone')}.gone`,
      otherHostFresh: `${tempName('new', 'abcdefabcdef', 4242)}.new`,
      otherHostOld: `${tempName('new', 'fedcbafedcba', 4242)}.new`,
    };
    for (const name of Object.values(entries)) writeFileSync(path.join(making, name), '');
    mkdirSync(path.join(making, `${tempName('new', hostId(), ended)}.new`)); // a lock directory being made
    const old = new Date(Date.now() - 120_000);
    utimesSync(path.join(making, entries.otherHostOld), old, old);
    assert.equal(await reclaimMaking(dir), 4);
    assert.deepEqual(readdirSync(making).sort(), [entries.liveMaker, entries.otherHostFresh].sort());
  });
});
