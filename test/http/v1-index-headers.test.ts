import assert from 'node:assert/strict';
import { isHostPort } from '../../lib/http/v1-index-headers.js';
import { IndexTokens } from '../../lib/services/v1/index-tokens.js';

const indexToken = (...args: Parameters<IndexTokens['mint']>) => new IndexTokens().mint(...args);

import { parseToken } from '../../lib/services/v1/tokens.js';

describe('V1 index headers', () => {
  it('a token cannot be broken out of, whatever the name', () => {
    for (const repository of ['a",access=write,x="', 'a\\"b', 'x\r\ny', 'é€', 'b/c']) {
      const token = indexToken({ namespace: 'n,s"', repository }, 'read');
      assert.match(token, /^Token signature=[A-Z0-9]{16},repository="[A-Za-z0-9_.+%/-]+",access=read$/, repository);
      assert.equal(parseToken(token)?.access, 'read');
    }
  });

  it('host[:port]: DNS names, IPv4, bracketed IPv6, ports 1-65535', () => {
    for (const ok of ['localhost', 'registry.example.com.', 'reg_1', 'a-b.c:5000', '10.0.0.1:1', '[::1]', '[2001:db8::1]:65535', 'x'.repeat(63)]) {
      assert.ok(isHostPort(ok), ok);
    }
    for (const bad of [
      '',
      ':80',
      'a b',
      'a"b',
      'a,b',
      'a/b',
      'a\\b',
      'a:0',
      'a:65536',
      'a:',
      'a:1:2',
      '::1',
      '[::1',
      '[zz::1]',
      '[1.2.3.4]',
      '-a',
      'a-',
      'a..b',
      'x'.repeat(64),
      `${'a.'.repeat(127)}a`,
    ]) {
      assert.ok(!isHostPort(bad), bad);
    }
  });
});
