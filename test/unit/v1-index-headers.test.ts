import assert from 'node:assert/strict';
import { indexToken } from '../../lib/http/v1-index-headers.js';
import { parseToken } from '../../lib/services/v1/tokens.js';

describe('V1 index headers', () => {
  it('a token cannot be broken out of, whatever the name', () => {
    for (const repository of ['a",access=write,x="', 'a\\"b', 'x\r\ny', 'é€', 'b/c']) {
      const token = indexToken({ namespace: 'n,s"', repository }, 'read');
      assert.match(token, /^Token signature=[A-Z0-9]{16},repository="[A-Za-z0-9_.+%/-]+",access=read$/, repository);
      assert.equal(parseToken(token)?.access, 'read');
    }
  });
});
