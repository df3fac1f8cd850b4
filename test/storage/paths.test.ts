import assert from 'node:assert/strict';
import { v1 } from '../../lib/storage/paths.js';
import { checkComponent, quotePlus } from '../../lib/storage/py-quote.js';

describe("V1 path encoding (Python 2 quote_plus + docker-registry-core's check)", () => {
  const quoted: Array<[string, string]> = [
    ['ubuntu', 'ubuntu'],
    ['A-Z_a.z-0', 'A-Z_a.z-0'],
    ['b/c', 'b%2Fc'],
    ['with space', 'with+space'],
    ['tilde~', 'tilde%7E'],
    ['ß', '%C3%9F'],
    ['x%y', 'x%25y'],
    ['a+b', 'a%2Bb'],
  ];
  for (const [input, expected] of quoted) {
    it(`quote_plus(${JSON.stringify(input)}) = ${expected}`, () => assert.equal(quotePlus(input), expected));
  }
  it('check() escapes . and .. before quoting them', () => {
    assert.equal(checkComponent('..'), '%252E%252E');
    assert.equal(checkComponent('.'), '%252E');
    assert.equal(checkComponent('...'), '...');
  });
  it('a repository name is quoted twice, as 0.8.1+ stored it', () => {
    assert.equal(v1.repository('ns', 'b/c'), 'repositories/ns/b%252Fc');
    assert.equal(v1.repository('ns', 'x%y'), 'repositories/ns/x%2525y');
    assert.equal(v1.repository('library', 'ubuntu'), 'repositories/library/ubuntu');
  });
  it('builds the file names of the old layout', () => {
    const id = 'a'.repeat(64);
    assert.equal(v1.imageJson(id), `images/${id}/json`);
    assert.equal(v1.imageChecksum(id), `images/${id}/_checksum`);
    assert.equal(v1.imageMark(id), `images/${id}/_inprogress`);
    assert.equal(v1.tag('ns', 'repo', 'latest'), 'repositories/ns/repo/tag_latest');
    assert.equal(v1.tagJson('ns', 'repo', 'latest'), 'repositories/ns/repo/taglatest_json');
    assert.equal(v1.indexImages('ns', 'repo'), 'repositories/ns/repo/_index_images');
    assert.equal(v1.privateFlag('ns', 'repo'), 'repositories/ns/repo/_private');
  });
  it('a path trick in a name stays inside its component', () => {
    const key = v1.tag('..', '../..', '..');
    assert.equal(key, 'repositories/%252E%252E/..%252F../tag_%252E%252E');
    assert.ok(!key.split('/').includes('..'));
  });
});
