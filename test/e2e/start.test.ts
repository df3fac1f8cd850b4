import assert from 'node:assert/strict';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, writeConfig } from '../support/config.js';
import { halfRequest, spawnBerth } from '../support/process.js';
import { sharedRgw } from '../support/services.js';

const PY_091 = path.join(INSTALL_DIR, 'test/fixtures/config/python-0.9.1.yml');

describe('node dist', function () {
  this.timeout(30_000);

  it('starts on the embedded default, answers the V1 ping, and exits 0 on SIGTERM', async () => {
    const b = spawnBerth({ STORAGE_PATH: tempDir() }, [], tempDir());
    const url = await b.ready();
    const res = await fetch(`${url}/v1/_ping`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-docker-registry-standalone'), 'True');
    assert.match(b.stdout(), /embedded default: no config\.yml found/);
    assert.match(b.stdout(), /"flavor":"dev"/);
    b.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    assert.match(b.stdout(), /"msg":"stopped"/);
  });

  it('the banner states version, flavor, config, listen address, storage, auth and email, without secrets', async () => {
    const config = writeConfig(
      `dev:\n  storage_path: ${tempDir()}\n  email_exceptions:\n    smtp_host: 127.0.0.1\n    smtp_port: 2\n    smtp_login: u\n    smtp_password: topsecret\n`,
    );
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: config });
    await b.ready();
    const banner = JSON.parse(
      b
        .stdout()
        .split('\n')
        .find((l) => l.includes('listening on')) ?? '{}',
    ) as Record<string, unknown>;
    for (const key of ['version', 'flavor', 'config', 'listen', 'storage', 'auth', 'email', 'standalone']) assert.ok(key in banner, key);
    assert.equal(banner.config, config);
    assert.match(String(banner.email), /^on \(127\.0\.0\.1:2/);
    assert.doesNotMatch(b.stdout(), /topsecret/);
    b.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });

  it('serves a config written for the Python registry (0.9.1 sample, dev flavor, _env: values)', async () => {
    const storage = tempDir();
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: PY_091, SETTINGS_FLAVOR: 'dev', STORAGE_PATH: storage, LOGLEVEL: 'info' });
    const url = await b.ready();
    assert.match(b.stdout(), new RegExp(`"path":"${storage}"`));
    assert.equal(await (await fetch(`${url}/`)).text(), '"\\"docker-registry server\\""');
    assert.equal((await fetch(`${url}/_status`)).status, 200);
    b.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });

  it('--check-config prints the effective prod settings of a Python config, secrets redacted', async () => {
    const b = spawnBerth(
      { DOCKER_REGISTRY_CONFIG: PY_091, SETTINGS_FLAVOR: 'prod', AWS_BUCKET: 'bkt', AWS_KEY: 'AKIA1', AWS_SECRET: 'very-secret', SMTP_HOST: 'mx.example' },
      ['--check-config'],
    );
    assert.equal(await b.exited, 0);
    const out = JSON.parse(b.stdout()) as { config: Record<string, unknown> };
    assert.equal(out.config.flavor, 'prod');
    assert.equal(out.config.storage, 's3');
    assert.equal(out.config.storage_path, '/prod');
    assert.equal(out.config.boto_bucket, 'bkt');
    assert.equal(out.config.s3_secret_key, '[redacted]');
    assert.equal(out.config.s3_secure, true);
    assert.equal((out.config.email_exceptions as Record<string, unknown>).smtp_host, 'mx.example');
    assert.doesNotMatch(b.stdout(), /very-secret/);
  });

  it('a DOCKER_REGISTRY_CONFIG that does not exist stops startup, naming the path', async () => {
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: '/nonexistent/config.yml' });
    assert.equal(await b.exited, 78);
    assert.match(b.stderr(), /Heads-up! File is missing: \/nonexistent\/config\.yml/);
  });

  it('config mistakes are all listed, with flavor, key and env var, and the exit code is non-zero', async () => {
    const config = writeConfig('prod:\n  loglevel: loud\n  keepalive_timeout: _env:KA\n  storage: floppy\n');
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'prod', KA: 'forever' });
    assert.equal(await b.exited, 78);
    assert.match(b.stderr(), /prod\.loglevel: unknown log level "loud"/);
    assert.match(b.stderr(), /prod\.keepalive_timeout: .*"forever" \(set by env KA\)/);
  });

  it('an unknown storage driver is refused, listing the known ones', async () => {
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig('dev:\n  storage: floppy\n') });
    assert.equal(await b.exited, 78);
    assert.match(b.stderr(), /dev\.storage: unknown storage driver "floppy"; available: local, file/);
  });

  it('waits for in-flight requests up to drain_timeout, then exits 0', async () => {
    const b = spawnBerth({ STORAGE_PATH: tempDir(), DRAIN_TIMEOUT: '0.5' }, [], tempDir());
    const url = await b.ready();
    const socket = await halfRequest(url);
    b.kill('SIGTERM');
    assert.equal(await b.exited, 0);
    assert.match(b.stdout(), /drain timeout reached/);
    socket.destroy();
  });

  it('a second signal exits at once', async () => {
    const b = spawnBerth({ STORAGE_PATH: tempDir(), DRAIN_TIMEOUT: '600' }, [], tempDir());
    const url = await b.ready();
    const socket = await halfRequest(url);
    b.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.proc.exitCode, null, 'still draining');
    b.kill('SIGINT');
    assert.equal(await b.exited, 1);
    assert.match(b.stdout(), /second signal: exiting now/);
    socket.destroy();
  });

  it('--help exits 0; an unknown argument exits 2', async () => {
    const help = spawnBerth({}, ['--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.stdout(), /Usage:/);
    const bad = spawnBerth({}, ['--frobnicate']);
    assert.equal(await bad.exited, 2);
  });
});

describe('node dist on S3 (Ceph RGW)', function () {
  this.timeout(150_000);

  it('SETTINGS_FLAVOR=prod with a config written for the Python registry starts and round-trips storage', async function () {
    const rgw = await sharedRgw();
    if (!rgw) return this.skip();
    const bucket = `berth-prod-${Date.now()}`;
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: rgw.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
    const port = new URL(rgw.endpoint).port;
    const b = spawnBerth({
      DOCKER_REGISTRY_CONFIG: PY_091,
      SETTINGS_FLAVOR: 'prod',
      AWS_BUCKET: bucket,
      AWS_KEY: rgw.accessKey,
      AWS_SECRET: rgw.secretKey,
      AWS_HOST: '127.0.0.1',
      AWS_PORT: port,
      AWS_SECURE: 'false',
      AWS_ENCRYPT: 'false',
      AWS_CALLING_FORMAT: 'boto.s3.connection.OrdinaryCallingFormat',
    });
    const url = await b.ready(30_000);
    assert.match(b.stdout(), /"driver":"s3","path":"\/prod"/);
    const status = await fetch(`${url}/_status`);
    assert.equal(status.status, 200, await status.clone().text());
    assert.deepEqual(((await status.json()) as { failures: object }).failures, {});
    b.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });
});
