import assert from 'node:assert/strict';
import { ConfigError } from '../../lib/config/errors.js';
import { redactedConfig } from '../../lib/config/summary.js';
import { preflight } from '../../lib/preflight.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir, writeConfig } from '../support/config.js';

const shown = (yaml: string) => redactedConfig(loadYaml(yaml, 'dev').config);
const section = (out: Record<string, unknown>, key: string) => out[key] as Record<string, unknown>;

describe('config: redaction in --check-config output', () => {
  it('redacts the schema’s secret fields, wherever they are', () => {
    const out = shown(
      'dev:\n  secret_key: sek-1\n  s3_secret_key: sek-2\n  os_password: sek-3\n  boto_proxy_pass: sek-4\n  cache: {host: r, password: sek-5}\n  cloudfront: {keysecret: sek-6}\n  email_exceptions: {smtp_password: sek-7}\n',
    );
    for (const key of ['secret_key', 's3_secret_key', 'os_password', 'boto_proxy_pass']) assert.equal(out[key], '[redacted]', key);
    assert.equal(section(out, 'cache').password, '[redacted]');
    assert.equal(section(out, 'cloudfront').keysecret, '[redacted]');
    assert.equal(section(out, 'email_exceptions').smtp_password, '[redacted]');
    assert.doesNotMatch(JSON.stringify(out), /sek-/);
  });

  it('shows settings that only sound like secrets (disable_token_auth, s3_access_key, an unset password)', () => {
    const out = shown('dev:\n  standalone: false\n  disable_token_auth: true\n  s3_access_key: AKIAEXAMPLE\n');
    assert.equal(out.disable_token_auth, true);
    assert.equal(out.s3_access_key, 'AKIAEXAMPLE');
    assert.equal(section(out, 'email_exceptions').smtp_password, null);
  });

  it('redacts a misspelt secret (a near miss of a secret field) and unknown keys that look like secrets', () => {
    const out = shown('dev:\n  email_exceptions:\n    smtp_pasword: hunter2\n  swift_password: sw\n  my_api_token: tk\n  new_option: plain\n');
    assert.equal(section(out, 'email_exceptions').smtp_pasword, '[redacted]');
    assert.equal(out.swift_password, '[redacted]');
    assert.equal(out.my_api_token, '[redacted]');
    assert.equal(out.new_option, 'plain');
    assert.doesNotMatch(JSON.stringify(out), /hunter2/);
  });

  it('redacts the Bugsnag API key, which its key name does not give away', () => {
    assert.equal(shown('dev:\n  bugsnag: 0123abcd\n').bugsnag, '[redacted]');
  });

  it('redacts a password in a URL, whatever key (known, unknown, in a list) holds the URL', () => {
    const out = shown(
      'dev:\n  mirroring: {source: "https://mirror:hunter2@upstream.example:5000/v1"}\n  glance_url: http://u:pw2@glance:9292\n  my_backend: postgresql://reg:pw3@db/registry\n  cors: {origins: ["https://o:pw4@x.example"]}\n',
    );
    assert.equal(section(out, 'mirroring').source, 'https://mirror:[redacted]@upstream.example:5000/v1');
    assert.equal(out.glance_url, 'http://u:[redacted]@glance:9292');
    assert.equal(out.my_backend, 'postgresql://reg:[redacted]@db/registry');
    assert.deepEqual(section(out, 'cors').origins, ['https://o:[redacted]@x.example']);
    assert.doesNotMatch(JSON.stringify(out), /hunter2|pw2|pw3|pw4/);
    assert.equal(shown('dev:\n  glance_url: http://user@glance:9292\n').glance_url, 'http://user@glance:9292', 'a user name alone is no secret');
  });

  it('a config error that quotes a URL leaves its password out', () => {
    const yaml = 'dev:\n  storage_path: /srv/r\n  search_backend: sqlalchemy\n  sqlalchemy_index_database: postgresql://reg:hunter2@db/registry\n';
    assert.throws(
      () => preflight({ env: { DOCKER_REGISTRY_CONFIG: writeConfig(yaml) }, cwd: tempDir(), installDir: INSTALL_DIR }),
      (err: unknown) =>
        err instanceof ConfigError &&
        /dev\.sqlalchemy_index_database: only sqlite URLs are supported .*, got "postgresql:\/\/reg:\[redacted\]@db\/registry"/.test(err.message) &&
        !/hunter2/.test(err.message),
    );
  });

  it('looks into values the schema does not read (extensions)', () => {
    const out = shown('dev:\n  extensions: {plugin: {password: pw, url: http://x}}\n');
    assert.deepEqual(section(section(out, 'extensions'), 'plugin'), { password: '[redacted]', url: 'http://x' });
  });

  it('a config error does not print the value given to a secret field', () => {
    assert.throws(
      () => loadYaml('dev:\n  email_exceptions: {smtp_password: [hunter2]}\n', 'dev'),
      (err: unknown) =>
        err instanceof ConfigError && /dev\.email_exceptions\.smtp_password: expected a string/.test(err.message) && !/hunter2/.test(err.message),
    );
  });
});
