import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { HtpasswdFile, MAX_PASSWORD_BYTES } from '../../lib/auth/htpasswd-file.js';
import { verifyPassword } from '../../lib/auth/password-hashes.js';
import { tempDir } from '../support/config.js';
import { htpasswdLine } from '../support/htpasswd.js';
import { capturingLogger, LEVEL } from '../support/log-capture.js';

const ALICE = htpasswdLine('bcrypt', 'alice', 'alice-pw', ['-C', '4']);
const BOB = htpasswdLine('apr1', 'bob', 'bob-pw');
const CAROL = htpasswdLine('sha1', 'carol', 'carol-pw');

function passwordFile(...lines: string[]): string {
  const file = path.join(tempDir('berth-htpasswd-'), 'htpasswd');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * A file checked on every use, as if a second had passed between any two requests. `checked`
 * lists the stored hashes each real password check (verifyPassword) ran against.
 */
function watched(file: string) {
  const { log, lines } = capturingLogger();
  const checked: string[] = [];
  const checkPassword = (password: string, hash: string) => {
    checked.push(hash);
    return verifyPassword(password, hash);
  };
  const htpasswd = new HtpasswdFile(file, log, { checkEveryMs: 0, checkPassword });
  const warnings = () => lines.filter((l) => l.level === LEVEL.warn).map((l) => String(l.msg));
  return { htpasswd, lines, warnings, checked };
}

describe('auth: the htpasswd file', () => {
  it('checks each user against their own line, whatever its format; unknown users fail', async () => {
    const { htpasswd } = watched(passwordFile('# made with htpasswd', ALICE, '', BOB, CAROL));
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    assert.equal(await htpasswd.verify('bob', 'bob-pw'), true);
    assert.equal(await htpasswd.verify('carol', 'carol-pw'), true);
    assert.equal(await htpasswd.verify('alice', 'bob-pw'), false);
    assert.equal(await htpasswd.verify('Alice', 'alice-pw'), false, 'user names are case-sensitive, as in Apache');
    assert.equal(await htpasswd.verify('mallory', 'alice-pw'), false);
  });

  it('reads CRLF files and the first line of a user that appears twice (as Apache does)', async () => {
    const { htpasswd } = watched(passwordFile(`${ALICE}\r`, `${htpasswdLine('apr1', 'alice', 'second-pw')}\r`));
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    assert.equal(await htpasswd.verify('alice', 'second-pw'), false);
  });

  it('refuses a file it cannot read, or one with a broken line, at construction, naming the line but not the hash', () => {
    const { log } = capturingLogger();
    assert.throws(() => new HtpasswdFile('/nonexistent/htpasswd', log), /ENOENT/);
    const hash = 'not-a-hash-at-all';
    assert.throws(
      () => new HtpasswdFile(passwordFile(ALICE, `dave:${hash}`), log),
      (err: Error) =>
        /line 2: the hash of user "dave" is not one that htpasswd -B, -m, -s, -d, -2 or -5 writes/.test(err.message) && !err.message.includes(hash),
    );
  });

  it('a changed file is used without a restart: the new password works, the old one fails', async () => {
    const file = passwordFile(ALICE, BOB);
    const { htpasswd, lines } = watched(file);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    writeFileSync(file, `${htpasswdLine('bcrypt', 'alice', 'new-pw', ['-C', '4'])}\n${BOB}\n`);
    assert.equal(await htpasswd.verify('alice', 'new-pw'), true);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), false);
    assert.equal(await htpasswd.verify('bob', 'bob-pw'), true);
    assert.ok(lines.some((l) => l.level === LEVEL.info && l.msg === 'htpasswd file reloaded' && l.entries === 2));
  });

  it('a file replaced by rename (an editor, a ConfigMap) is noticed too', async () => {
    const file = passwordFile(ALICE);
    const { htpasswd } = watched(file);
    const next = `${file}.new`;
    writeFileSync(next, `${BOB}\n`);
    rmSync(file);
    renameSync(next, file);
    assert.equal(await htpasswd.verify('bob', 'bob-pw'), true);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), false);
  });

  it('a broken version (a half-written last line) keeps the last good one in force, with one warning', async () => {
    const file = passwordFile(ALICE, BOB);
    const { htpasswd, warnings } = watched(file);
    const newBob = htpasswdLine('apr1', 'bob', 'new-bob-pw');
    writeFileSync(file, `${ALICE}\n${newBob.slice(0, -5)}`);
    assert.equal(await htpasswd.verify('bob', 'bob-pw'), true);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    assert.equal(await htpasswd.verify('bob', 'bob-pw'), true);
    assert.equal(warnings().length, 1, 'warned once for this version, not on every use');
    assert.match(warnings()[0] ?? '', /htpasswd file .* has lines that do not parse \(line 2: the hash of user "bob" .*\); keeping the last good version/);
    writeFileSync(file, `${ALICE}\n${newBob}\n`);
    assert.equal(await htpasswd.verify('bob', 'new-bob-pw'), true, 'the finished write is read');
  });

  it('an empty file while the last one had users is a write in progress; a comment-only file empties it on purpose', async () => {
    const file = passwordFile(ALICE);
    const { htpasswd, warnings } = watched(file);
    writeFileSync(file, '');
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    assert.match(warnings()[0] ?? '', /is empty .*keeping the last good version/);
    writeFileSync(file, '# nobody for now\n');
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), false);
  });

  it('a file that disappears keeps the last good content until it is back', async () => {
    const file = passwordFile(ALICE);
    const { htpasswd, warnings } = watched(file);
    rmSync(file);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    assert.match(warnings()[0] ?? '', /cannot be read \(ENOENT\); keeping the last good version/);
    writeFileSync(file, `${BOB}\n`);
    assert.equal(await htpasswd.verify('bob', 'bob-pw'), true);
  });

  it('looks at the file at most once per interval', async () => {
    const file = passwordFile(ALICE);
    let now = 1_000_000;
    const htpasswd = new HtpasswdFile(file, capturingLogger().log, { now: () => now });
    writeFileSync(file, `${BOB}\n`);
    now += 999;
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true, 'not looked at yet');
    now += 1;
    assert.equal(await htpasswd.verify('bob', 'bob-pw'), true);
  });

  it('after close() the file is no longer looked at', async () => {
    const file = passwordFile(ALICE);
    const { htpasswd } = watched(file);
    htpasswd.close();
    writeFileSync(file, `${BOB}\n`);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
  });

  it(`passwords over ${MAX_PASSWORD_BYTES} bytes are refused unchecked`, async () => {
    // htpasswd itself takes at most 255; bcrypt reads the first 72 bytes, so both passwords fit this hash.
    const long = 'x'.repeat(MAX_PASSWORD_BYTES + 1);
    const { htpasswd } = watched(passwordFile(`erin:${bcrypt.hashSync(long, 4)}`));
    assert.equal(await htpasswd.verify('erin', long.slice(1)), true);
    assert.equal(await htpasswd.verify('erin', long), false);
  });

  it('an unknown user costs a password check like a known one: a bcrypt check against a decoy hash of the same cost', async () => {
    const file = passwordFile(ALICE, BOB, htpasswdLine('bcrypt', 'dan', 'dan-pw', ['-C', '9']), htpasswdLine('bcrypt', 'erin', 'erin-pw', ['-C', '9']));
    const { htpasswd, checked } = watched(file);
    assert.equal(await htpasswd.verify('nobody', 'wrong'), false);
    assert.equal(checked.length, 1, 'one full check for a user who does not exist');
    assert.match(checked[0] as string, /^\$2[aby]\$09\$/, 'a hash of the kind and cost most of the file uses');
    assert.equal(await htpasswd.verify('dan', 'wrong'), false);
    assert.equal(checked.length, 2, 'as a known user with a wrong password costs');
  });
});

describe('auth: right passwords remembered for a moment (credential-cache.ts)', () => {
  it('a right password is checked once (not bcrypt on every request); a wrong one every time; a new hash forgets it', async () => {
    const file = passwordFile(htpasswdLine('bcrypt', 'alice', 'alice-pw', ['-C', '4']));
    const { htpasswd, checked } = watched(file);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), true);
    assert.equal(checked.length, 1, 'the second request with the same password is answered from memory');
    assert.equal(await htpasswd.verify('alice', 'nope'), false);
    assert.equal(await htpasswd.verify('alice', 'nope'), false);
    assert.equal(checked.length, 3, 'a wrong password is never remembered: checked again in full');
    writeFileSync(file, `${htpasswdLine('bcrypt', 'alice', 'other-pw', ['-C', '4'])}\n`);
    assert.equal(await htpasswd.verify('alice', 'alice-pw'), false, 'the file gave alice another hash: the old password no longer counts');
    assert.equal(await htpasswd.verify('alice', 'other-pw'), true);
  });

  it('a burst of parallel requests with the same credentials shares one check (a client opening many connections at once)', async () => {
    const { htpasswd, checked } = watched(passwordFile(htpasswdLine('bcrypt', 'alice', 'alice-pw', ['-C', '4'])));
    const answers = await Promise.all(Array.from({ length: 20 }, () => htpasswd.verify('alice', 'alice-pw')));
    assert.deepEqual(new Set(answers), new Set([true]));
    assert.equal(checked.length, 1);
    const wrong = await Promise.all(Array.from({ length: 3 }, () => htpasswd.verify('alice', 'bad')));
    assert.deepEqual(new Set(wrong), new Set([false]));
    assert.equal(checked.length, 2, 'parallel wrong guesses share a check too, and are not remembered after it');
    assert.equal(await htpasswd.verify('alice', 'bad'), false);
    assert.equal(checked.length, 3);
  });

  it('forgets after its time, and keeps no more than its bound', async () => {
    const { CredentialCache } = await import('../../lib/auth/credential-cache.js');
    let now = 1_000;
    const cache = new CredentialCache({ ttlMs: 60_000, maxEntries: 2, now: () => now });
    cache.remember('a', 'pw', 'h');
    assert.equal(cache.knows('a', 'pw', 'h'), true);
    assert.equal(cache.knows('a', 'other', 'h'), false);
    assert.equal(cache.knows('a', 'pw', 'h2'), false, 'another stored hash');
    cache.remember('a', 'pw', 'h');
    now += 60_001;
    assert.equal(cache.knows('a', 'pw', 'h'), false, 'expired');
    for (const u of ['b', 'c', 'd']) cache.remember(u, 'pw', 'h');
    assert.equal(cache.size, 2);
    assert.equal(cache.knows('b', 'pw', 'h'), false, 'the oldest went');
  });
});
