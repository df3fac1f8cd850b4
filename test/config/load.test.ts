import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../lib/config/errors.js';
import { loadConfig } from '../../lib/config/load.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir } from '../support/config.js';

const fixture = (name: string) => readFileSync(path.join(INSTALL_DIR, 'test/fixtures/config', name), 'utf8');

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('config: a file written for docker-registry 0.9.1 (anchors, _env:)', () => {
  const yaml = fixture('python-0.9.1.yml');

  it('prod: the effective settings the Python registry would have used', () => {
    const { config, warnings } = loadYaml(yaml, 'prod', {
      AWS_BUCKET: 'registry-bucket',
      AWS_REGION: 'eu-west-1',
      AWS_KEY: 'AKIAEXAMPLE',
      AWS_SECRET: 'secret',
      SMTP_HOST: 'mail.example.com',
      SMTP_PORT: '587',
      SMTP_LOGIN: 'registry',
      SMTP_PASSWORD: 'pw',
      SMTP_SECURE: 'true',
    });
    assert.deepEqual(warnings, []);
    assert.equal(config.flavor, 'prod');
    assert.equal(config.storage, 's3');
    assert.equal(config.storage_path, '/prod');
    assert.equal(config.boto_bucket, 'registry-bucket');
    assert.equal(config.s3_region, 'eu-west-1');
    assert.equal(config.s3_access_key, 'AKIAEXAMPLE');
    assert.equal(config.s3_secure, true);
    assert.equal(config.s3_encrypt, true);
    assert.equal(config.boto_host, null);
    assert.equal(config.loglevel, 'info');
    assert.equal(config.debug, false);
    assert.equal(config.standalone, true);
    assert.equal(config.issue, '"docker-registry server"');
    assert.equal(config.index_endpoint, 'https://index.docker.io');
    assert.equal(config.storage_redirect, false);
    assert.equal(config.search_backend, null);
    assert.equal(config.sqlalchemy_index_database, 'sqlite:////tmp/docker-registry.db');
    assert.equal(config.mirroring.source, null);
    assert.equal(config.mirroring.tags_cache_ttl, 172800);
    assert.equal(config.cache.host, null);
    assert.equal(config.cache.db, 0);
    assert.deepEqual(
      { ...config.email_exceptions, smtp_secure: { ...config.email_exceptions.smtp_secure } },
      {
        smtp_host: 'mail.example.com',
        smtp_port: 587,
        smtp_login: 'registry',
        smtp_password: 'pw',
        smtp_secure: { starttls: true },
        from_addr: 'docker-registry@localdomain.local',
        to_addr: 'noise+dockerregistry@localdomain.local',
        throttle_seconds: 300,
        max_mails_per_hour: 20,
        smtp_ca: null,
        smtp_tls_verify: false,
      },
    );
  });

  it('dev: local storage, debug on, sqlalchemy search, and env overrides', () => {
    const { config } = loadYaml(yaml, 'dev', { STORAGE_PATH: '/srv/registry', LOGLEVEL: 'WARNING' });
    assert.equal(config.storage, 'local');
    assert.equal(config.storage_path, '/srv/registry');
    assert.equal(config.loglevel, 'warn');
    assert.equal(config.debug, true);
    assert.equal(config.search_backend, 'sqlalchemy');
  });

  it('ceph-s3: s3 over plain HTTP with a custom endpoint', () => {
    const { config } = loadYaml(yaml, 'ceph-s3', { AWS_HOST: '127.0.0.1', AWS_PORT: '7480', AWS_CALLING_FORMAT: 'boto.s3.connection.OrdinaryCallingFormat' });
    assert.equal(config.s3_secure, false);
    assert.equal(config.s3_encrypt, false);
    assert.equal(config.s3_region, null);
    assert.equal(config.boto_host, '127.0.0.1');
    assert.equal(config.boto_port, 7480);
    assert.equal(config.boto_calling_format, 'boto.s3.connection.OrdinaryCallingFormat');
  });

  it('swift keys load without warnings (the driver itself is refused at startup)', () => {
    const { config, warnings } = loadYaml(yaml, 'swift');
    assert.equal(config.storage, 'swift');
    assert.deepEqual(warnings, []);
  });

  it('the result is frozen', () => {
    const { config } = loadYaml(yaml, 'dev');
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.email_exceptions));
  });
});

describe('config: a file written for docker-registry 0.6.0 (implicit common)', () => {
  const yaml = fixture('python-0.6.0.yml');

  it('prod inherits common shallowly; its own email_exceptions mapping wins whole', () => {
    const { config } = loadYaml(yaml, 'prod');
    assert.equal(config.storage, 's3');
    assert.equal(config.storage_path, '/prod');
    assert.equal(config.s3_access_key, 'REPLACEME');
    assert.equal(config.secret_key, 'REPLACEME');
    assert.equal(config.cache.host, 'localhost');
    assert.equal(config.email_exceptions.smtp_host, 'REPLACEME');
    assert.equal(config.email_exceptions.smtp_port, 25);
    assert.equal(config.email_exceptions.smtp_secure.starttls, false);
  });

  it('the standalone default of 0.7.3+ applies when the key is absent', () => {
    assert.equal(loadYaml(yaml, 'dev').config.standalone, false);
  });

  it('openstack: glance with a local alternate', () => {
    const { config } = loadYaml(yaml, 'openstack');
    assert.equal(config.storage, 'glance');
    assert.equal(config.storage_alternate, 'local');
  });
});

describe('config: flavors and files', () => {
  it('a missing flavor names the flavor and the file', () => {
    const err = configError(() => loadYaml('common: {}\ndev: {}\n', 'staging'));
    assert.match(err.message, /The specified flavor \(staging\) is missing in your config file \(.*config\.yml\)/);
    assert.match(err.message, /SETTINGS_FLAVOR/);
  });

  it('SETTINGS_FLAVOR="" takes the whole document', () => {
    assert.equal(loadYaml('storage_path: /x\n', '').config.storage_path, '/x');
  });

  it('inherit_common: false opts a flavor out of the implicit merge', () => {
    const { config } = loadYaml('common: {debug: true}\nplain: {inherit_common: false}\n', 'plain');
    assert.equal(config.debug, false);
  });

  it('a DOCKER_REGISTRY_CONFIG that does not exist is an error naming the path', () => {
    const err = configError(() => loadConfig({ env: { DOCKER_REGISTRY_CONFIG: '/nonexistent/berth.yml' }, cwd: tempDir(), installDir: INSTALL_DIR }));
    assert.match(err.message, /Heads-up! File is missing: \/nonexistent\/berth\.yml/);
    assert.match(err.message, /DOCKER_REGISTRY_CONFIG/);
  });

  it('a relative DOCKER_REGISTRY_CONFIG is found in the working directory', () => {
    const cwd = tempDir();
    const file = path.join(cwd, 'mine.yml');
    writeFileSync(file, 'dev: {storage_path: /from-cwd}\n');
    const { config } = loadConfig({ env: { DOCKER_REGISTRY_CONFIG: 'mine.yml' }, cwd, installDir: INSTALL_DIR });
    assert.equal(config.source.path, file);
    assert.equal(config.storage_path, '/from-cwd');
  });

  it('with no config named or found, the shipped sample is the embedded default', () => {
    const { config } = loadConfig({ env: {}, cwd: tempDir(), installDir: INSTALL_DIR });
    assert.equal(config.source.embedded, true);
    assert.equal(config.source.path, path.join(INSTALL_DIR, 'config_sample.yml'));
    assert.equal(config.flavor, 'dev');
    assert.equal(config.storage, 'local');
  });

  it('every flavor of config_sample.yml loads without errors or warnings', () => {
    const sample = readFileSync(path.join(INSTALL_DIR, 'config_sample.yml'), 'utf8');
    for (const flavor of ['common', 'dev', 'prod', 'test', 'openstack', 'local', 's3', 'glance']) {
      assert.deepEqual(loadYaml(sample, flavor).warnings, [], flavor);
    }
  });

  it('invalid YAML is a config error naming the file', () => {
    const err = configError(() => loadYaml('dev: [unclosed\n', 'dev'));
    assert.match(err.message, /not valid YAML/);
  });
});

describe('config: errors and warnings', () => {
  it('lists every problem at once, each as flavor.key with the env var behind it', () => {
    const err = configError(() =>
      loadYaml('prod:\n  loglevel: chatty\n  email_exceptions:\n    smtp_port: _env:SMTP_PORT:25\n  debug: _env:DEBUG\n  drain_timeout: -3\n', 'prod', {
        SMTP_PORT: 'twenty-five',
        DEBUG: 'maybe',
      }),
    );
    const text = err.message;
    assert.match(text, /prod\.loglevel: unknown log level "chatty"/);
    assert.match(text, /prod\.email_exceptions\.smtp_port: expected a whole number, got "twenty-five" \(set by env SMTP_PORT\)/);
    assert.match(text, /prod\.debug: expected true or false, got "maybe" \(set by env DEBUG\)/);
    assert.match(text, /prod\.drain_timeout: expected a number of seconds/);
    assert.equal(err.issues.length, 4);
  });

  it('a bad REGISTRY_PORT names the variable', () => {
    const err = configError(() => loadYaml('dev: {}\n', 'dev', { REGISTRY_PORT: 'http' }));
    assert.match(err.message, /dev\.listen\.port: expected a port number.*\(set by env REGISTRY_PORT\)/);
  });

  it('REGISTRY_HOST and REGISTRY_PORT set the listen address', () => {
    const { config } = loadYaml('dev: {}\n', 'dev', { REGISTRY_HOST: '127.0.0.1', REGISTRY_PORT: '5123' });
    assert.deepEqual({ ...config.listen }, { host: '127.0.0.1', port: 5123 });
  });

  it('unknown keys are warnings with a guess at the intended key', () => {
    const { warnings } = loadYaml('dev:\n  storage_pth: /x\n  totally_new_thing: 1\n', 'dev');
    assert.deepEqual(warnings, ['dev.storage_pth: unknown option, ignored (did you mean storage_path?)', 'dev.totally_new_thing: unknown option, ignored']);
  });

  it('quoted booleans and numbers are read for what they say', () => {
    const { config } = loadYaml('dev:\n  s3_secure: "true"\n  boto_port: "8080"\n', 'dev');
    assert.equal(config.s3_secure, true);
    assert.equal(config.boto_port, 8080);
  });

  it('GUNICORN_GRACEFUL_TIMEOUT sets the drain timeout when the file does not', () => {
    assert.equal(loadYaml('dev: {}\n', 'dev', { GUNICORN_GRACEFUL_TIMEOUT: '3600' }).config.drain_timeout, 3600);
    assert.equal(loadYaml('dev: {drain_timeout: 5}\n', 'dev', { GUNICORN_GRACEFUL_TIMEOUT: '3600' }).config.drain_timeout, 5);
  });

  it('smtp_secure accepts a key file or {keyfile, certfile}', () => {
    const a = loadYaml('dev:\n  email_exceptions: {smtp_secure: /etc/k.pem}\n', 'dev').config.email_exceptions.smtp_secure;
    assert.deepEqual({ ...a }, { starttls: true, keyfile: '/etc/k.pem' });
    const b = loadYaml('dev:\n  email_exceptions: {smtp_secure: {keyfile: /k, certfile: /c}}\n', 'dev').config.email_exceptions.smtp_secure;
    assert.deepEqual({ ...b }, { starttls: true, keyfile: '/k', certfile: '/c' });
    const err = configError(() => loadYaml('dev:\n  email_exceptions: {smtp_secure: {keyfile: /k, other: 1}}\n', 'dev'));
    assert.match(err.message, /dev\.email_exceptions\.smtp_secure/);
  });
});

describe('config: storage drivers', () => {
  it('glance without an endpoint or Keystone names glance_url', async () => {
    const { createStorage } = await import('../../lib/storage/factory.js');
    const { config } = loadYaml('g:\n  storage: glance\n  storage_alternate: file\n', 'g');
    assert.throws(() => createStorage(config), /g\.glance_url: set glance_url \(or OS_GLANCE_URL\)/);
  });

  it('OS_* variables fill the Glance settings, as the old driver read them', () => {
    const { config } = loadYaml('g:\n  storage: glance\n', 'g', { OS_GLANCE_URL: 'http://127.0.0.1:9292', OS_USERNAME: 'reg', OS_TENANT_NAME: 'proj' });
    assert.equal(config.glance_url, 'http://127.0.0.1:9292');
    assert.equal(config.os_username, 'reg');
    assert.equal(config.os_tenant_name, 'proj');
  });

  it('a bad storage_alternate is named', async () => {
    const { createStorage } = await import('../../lib/storage/factory.js');
    const { config } = loadYaml('g:\n  storage: glance\n  glance_url: http://127.0.0.1:1\n  storage_alternate: swift\n', 'g');
    assert.throws(() => createStorage(config), /g\.storage_alternate: must be one of local, file, s3; got "swift"/);
  });

  it('s3 without a bucket names boto_bucket', async () => {
    const { createStorage } = await import('../../lib/storage/factory.js');
    const { config } = loadYaml('p:\n  storage: s3\n  s3_access_key: k\n', 'p');
    assert.throws(
      () => createStorage(config),
      (err: Error) => /p\.boto_bucket: the S3 bucket is not set/.test(err.message) && /p\.s3_secret_key: set both/.test(err.message),
    );
  });
});
