import assert from 'node:assert/strict';
import { ConfigError } from '../../lib/config/errors.js';
import { loadYaml } from '../support/config.js';

describe('config: unknown keys', () => {
  it('are found inside sections too, with a "did you mean" naming the section', () => {
    const { config, warnings } = loadYaml('dev:\n  email_exceptions:\n    smtp_pasword: hunter2\n  mirroring:\n    sourse: https://r.example\n', 'dev');
    assert.deepEqual(warnings, [
      'dev.email_exceptions.smtp_pasword: unknown option, ignored (did you mean email_exceptions.smtp_password?)',
      'dev.mirroring.sourse: unknown option, ignored (did you mean mirroring.source?)',
    ]);
    assert.equal(config.email_exceptions.smtp_password, null);
    assert.equal(config.mirroring.source, null);
  });

  it('every section of the schema is looked into (cache, cache_lru, cors, cloudfront)', () => {
    const yaml = 'dev:\n  cache: {hots: r}\n  cache_lru: {portt: 1}\n  cors: {origin: "*"}\n  cloudfront: {bsae: x}\n';
    assert.deepEqual(
      loadYaml(yaml, 'dev').warnings.map((w) => w.split(':')[0]),
      ['dev.cache.hots', 'dev.cache_lru.portt', 'dev.cors.origin', 'dev.cloudfront.bsae'],
    );
  });

  it('values the schema does not read as options (extensions, a CORS list) are not searched', () => {
    assert.deepEqual(loadYaml('dev:\n  extensions: {anything: {goes: 1}}\n  cors: {origins: {x: 1}}\n', 'dev').warnings, []);
  });

  it('are reported together with the errors, not only once the errors are fixed', () => {
    let err: unknown;
    try {
      loadYaml('dev:\n  storage_pth: /srv\n  loglevel: loud\n', 'dev');
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.warnings, ['dev.storage_pth: unknown option, ignored (did you mean storage_path?)']);
    assert.match(
      err.message,
      /dev\.loglevel: unknown log level "loud"[\s\S]*warnings:\n {2}- dev\.storage_pth: unknown option, ignored \(did you mean storage_path\?\)/,
    );
  });
});
