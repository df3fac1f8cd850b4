import assert from 'node:assert/strict';
import { RegistryError } from '../../lib/errors/registry-error.js';
import { checkName, parseReference } from '../../lib/http/v2-names.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const code = (c: string) => (err: unknown) => err instanceof RegistryError && err.code === c;

describe('V2 names and references', () => {
  it('accepts the distribution grammar and refuses the rest', () => {
    for (const ok of ['a', 'library/ubuntu', 'a-b__c.d/e--f', 'x0/y1/z2']) assert.equal(checkName(ok), ok);
    for (const bad of ['A', 'a//b', '/a', 'a/', 'a..b', '-a', 'a_', '../etc', 'a/./b', 'a'.repeat(256)]) {
      assert.throws(() => checkName(bad), code('NAME_INVALID'), bad);
    }
  });

  it('a reference is a tag or a digest', () => {
    assert.deepEqual(parseReference('v1.0_rc-1'), { kind: 'tag', tag: 'v1.0_rc-1' });
    assert.equal(parseReference(D('a')).kind, 'digest');
    assert.throws(() => parseReference('.hidden'), code('TAG_INVALID'));
    assert.throws(() => parseReference('t'.repeat(129)), code('TAG_INVALID'));
    assert.throws(() => parseReference('sha256:short'), code('DIGEST_INVALID'));
  });
});
