import assert from 'node:assert/strict';
import { compilePattern, patternProblem } from '../../lib/auth/repository-patterns.js';

const matches = (pattern: string, name: string) => compilePattern(pattern).test(name);

describe('auth: repository patterns', () => {
  it('plain names match only themselves', () => {
    assert.ok(matches('library/ubuntu', 'library/ubuntu'));
    assert.ok(!matches('library/ubuntu', 'library/ubuntu2'));
    assert.ok(!matches('library/ubuntu', 'library/ubuntu/x'));
    assert.ok(!matches('a.b/c', 'axb/c'), 'a dot is a dot, not a regex wildcard');
  });

  it('* matches within one component, never across "/"', () => {
    assert.ok(matches('alice/*', 'alice/app'));
    assert.ok(matches('alice/*', 'alice/my-app.v2_x'));
    assert.ok(!matches('alice/*', 'alice/app/cache'));
    assert.ok(!matches('alice/*', 'alicex/app'));
    assert.ok(matches('alice/*-cache', 'alice/app-cache'));
    assert.ok(!matches('alice/*-cache', 'alice/app-store'));
    assert.ok(matches('*/*', 'bob/app'));
    assert.ok(!matches('*/*', 'bob/app/x'));
    assert.ok(matches('team-*/app', 'team-a/app'));
  });

  it('** as the last component matches one or more components; alone it matches everything', () => {
    assert.ok(matches('alice/**', 'alice/app'));
    assert.ok(matches('alice/**', 'alice/app/cache/x'));
    assert.ok(!matches('alice/**', 'alice'));
    assert.ok(!matches('alice/**', 'bob/alice'));
    assert.ok(matches('**', 'library/ubuntu'));
    assert.ok(matches('**', 'a/b/c'));
  });

  it('mistakes are refused with a reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty pattern/],
      ['Alice/*', /"A" cannot appear in a repository name/],
      ['alice/app:latest', /":" cannot appear/],
      ['alice/?', /"\?" cannot appear/],
      ['/alice/*', /cannot start or end with "\/"/],
      ['alice/', /cannot start or end/],
      ['alice//app', /nor hold "\/\/"/],
      ['alice/**/app', /"\*\*" can only be the whole last component/],
      ['alice/app**', /"\*\*" can only be the whole last component/],
      ['alice/***', /"\*\*" can only be the whole last component/],
      ['ubuntu', /never matches; use "library\/ubuntu"/],
      ['*', /never matches; use "\*\*" for every repository, or "\*\/\*"/],
    ];
    for (const [pattern, why] of cases) {
      assert.match(patternProblem(pattern) ?? 'accepted', why, pattern);
      assert.throws(() => compilePattern(pattern), /invalid repository pattern/, pattern);
    }
    for (const ok of ['alice/*', 'library/**', '**', '*/*', 'a/b/c', 'a-b_c.d/e']) assert.equal(patternProblem(ok), null, ok);
  });
});
