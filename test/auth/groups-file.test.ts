import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { GroupsFile } from '../../lib/auth/groups-file.js';
import { parseGroups } from '../../lib/auth/groups-format.js';
import { tempDir } from '../support/config.js';
import { capturingLogger, LEVEL } from '../support/log-capture.js';

function groupFile(text: string): string {
  const file = path.join(tempDir('berth-htgroup-'), 'htgroup');
  writeFileSync(file, text);
  return file;
}

describe('auth: the groups file (htgroup format)', () => {
  it('a user is in every group whose line names them; lines of one group add up', () => {
    const groups = new GroupsFile(groupFile('# teams\nadmins: alice\ndevs: alice  bob\n\ndevs: carol\r\nempty:\n'), capturingLogger().log);
    assert.deepEqual(groups.groupsOf('alice'), ['admins', 'devs']);
    assert.deepEqual(groups.groupsOf('bob'), ['devs']);
    assert.deepEqual(groups.groupsOf('carol'), ['devs']);
    assert.deepEqual(groups.groupsOf('dave'), []);
  });

  it('a line without "group:" is a problem, named by its line number', () => {
    const { problems, groups } = parseGroups('admins: alice\nalice bob\n: carol\n');
    assert.deepEqual(problems, [
      { line: 2, message: 'not of the form "group: user1 user2"' },
      { line: 3, message: 'no group name before ":"' },
    ]);
    assert.deepEqual([...groups], ['admins']);
    assert.throws(() => new GroupsFile(groupFile('alice bob\n'), capturingLogger().log), /line 1: not of the form/);
  });

  it('a changed file is used without a restart; a broken or emptied one keeps the last good, with a warning', () => {
    const file = groupFile('devs: alice\n');
    const { log, lines } = capturingLogger();
    const groups = new GroupsFile(file, log, { checkEveryMs: 0 });
    writeFileSync(file, 'devs: bob\nops: alice\n');
    assert.deepEqual(groups.groupsOf('alice'), ['ops']);
    assert.deepEqual(groups.groupsOf('bob'), ['devs']);
    writeFileSync(file, 'devs: bob\nops alice');
    assert.deepEqual(groups.groupsOf('alice'), ['ops']);
    writeFileSync(file, '\n');
    assert.deepEqual(groups.groupsOf('bob'), ['devs']);
    const warnings = lines.filter((l) => l.level === LEVEL.warn).map((l) => String(l.msg));
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /groups file .* has lines that do not parse \(line 2: not of the form/);
    assert.match(warnings[1] ?? '', /groups file .* is empty/);
    groups.close();
  });

  it('what groupsOf returns is a copy: a caller cannot change the next answer', () => {
    const groups = new GroupsFile(groupFile('devs: alice\n'), capturingLogger().log);
    groups.groupsOf('alice').push('admins');
    assert.deepEqual(groups.groupsOf('alice'), ['devs']);
  });
});
