import assert from 'node:assert/strict';
import type { Config } from '../../../lib/config/load.js';
import { corsHeaders, corsPlan } from '../../../lib/http/middleware/cors.js';
import { testConfig } from '../../support/config.js';

const settings = (yaml: string): Config['cors'] => testConfig(`  cors:\n${yaml}`).cors;

describe('CORS (Flask-CORS 1.x options of docker-registry 0.9)', () => {
  it('is off unless cors.origins is set', () => {
    assert.equal(corsPlan(settings('    headers: [Content-Type]\n')), null);
  });

  it("origins '*': a wildcard by default, the request's origin with send_wildcard false", () => {
    const plan = corsPlan(settings("    origins: '*'\n    headers: [X-B, Content-Type]\n")) as NonNullable<ReturnType<typeof corsPlan>>;
    assert.deepEqual(corsHeaders(plan, '/v1/_ping', 'GET', 'https://ui.example', undefined), {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Headers': 'Content-Type, X-B',
    });
    const echo = corsPlan(settings("    origins: '*'\n    send_wildcard: false\n")) as NonNullable<ReturnType<typeof corsPlan>>;
    assert.equal(corsHeaders(echo, '/', 'GET', 'https://ui.example', undefined)?.['Access-Control-Allow-Origin'], 'https://ui.example');
  });

  it('a list of origins and regexes: matching origins are echoed, others get nothing; without Origin, always_send sends the plain ones', () => {
    const plan = corsPlan(settings('    origins: [https://a.example, "https://.*\\\\.corp"]\n    supports_credentials: true\n')) as NonNullable<
      ReturnType<typeof corsPlan>
    >;
    assert.equal(corsHeaders(plan, '/', 'GET', 'https://a.example', undefined)?.['Access-Control-Allow-Origin'], 'https://a.example');
    assert.equal(corsHeaders(plan, '/', 'GET', 'https://x.corp', undefined)?.['Access-Control-Allow-Credentials'], 'true');
    assert.equal(corsHeaders(plan, '/', 'GET', 'https://evil.example', undefined), null);
    // Whole-origin matches only: lookalikes that a start-anchored match would let in.
    for (const lookalike of ['https://a.example.evil.net', 'https://x.corp.evil.net', 'https://aXexample']) {
      assert.equal(corsHeaders(plan, '/', 'GET', lookalike, undefined), null, lookalike);
    }
    assert.equal(corsHeaders(plan, '/', 'GET', undefined, undefined)?.['Access-Control-Allow-Origin'], 'https://a.example');
    const quiet = corsPlan(settings('    origins: [https://a.example]\n    always_send: false\n')) as NonNullable<ReturnType<typeof corsPlan>>;
    assert.equal(corsHeaders(quiet, '/', 'GET', undefined, undefined), null);
  });

  it('a preflight for an allowed method adds Max-Age, Allow-Methods (sorted) and Expose-Headers; resources limit the paths', () => {
    const plan = corsPlan(
      settings(
        "    origins: '*'\n    methods: [PUT, GET]\n    max_age: 600\n    expose_headers: [X-Docker-Size]\n    resources: ['/v1/search', '/v1/repositories/.*']\n",
      ),
    ) as NonNullable<ReturnType<typeof corsPlan>>;
    assert.deepEqual(corsHeaders(plan, '/v1/search', 'OPTIONS', 'https://ui', 'get'), {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Max-Age': '600',
      'Access-Control-Allow-Methods': 'GET, PUT',
      'Access-Control-Expose-Headers': 'X-Docker-Size',
    });
    assert.equal(corsHeaders(plan, '/v1/search', 'OPTIONS', 'https://ui', 'DELETE')?.['Access-Control-Allow-Methods'], undefined);
    assert.equal(corsHeaders(plan, '/v1/images/x/json', 'GET', 'https://ui', undefined), null, 'not a listed resource');
  });
});
