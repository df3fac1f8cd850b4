import assert from 'node:assert/strict';
import { V1 } from '../../lib/errors/catalog.js';
import { parseRepository } from '../../lib/http/v1-names.js';

describe('V1 repository names', () => {
  it('splits as docker-registry did, and keeps what clients and upstream tests use', () => {
    assert.deepEqual(parseRepository('ubuntu'), { namespace: 'library', repository: 'ubuntu' });
    assert.deepEqual(parseRepository('a/b/c/'), { namespace: 'a', repository: 'b/c' });
    for (const name of ['foo/xxxxx%$_-test', 'ns/my+repo', 'ns/dots.in-name_x', 'ns/ü', 'ns/a,b', `ns/${'r'.repeat(255)}`]) {
      assert.doesNotThrow(() => parseRepository(name), name);
    }
  });

  it('refuses what storage cannot hold in either layout, or what has no place in a header', () => {
    const bad = ['..', '.', '../x', 'ns/..', 'ns/.', 'a//b', '/x', '//auth', 'a\\b/r', 'ns/a\r\nb', 'ns/a\u0000b', 'ns/a\u007fb', 'ns/a"b'];
    bad.push(`x/${'a'.repeat(300)}`, `${'n'.repeat(256)}/r`, `ns/${'ü'.repeat(60)}`, `ns/${'%'.repeat(60)}`);
    for (const name of bad) {
      assert.throws(
        () => parseRepository(name),
        (err: Error & { status?: number }) => err.status === 400 && err.message === V1.INVALID_REPOSITORY_NAME.message,
        JSON.stringify(name.slice(0, 40)),
      );
    }
  });

  it('an empty name is still the old 404', () => {
    assert.throws(
      () => parseRepository('/'),
      (err: Error & { status?: number }) => err.status === 404 && err.message === 'Repository not found',
    );
  });
});
