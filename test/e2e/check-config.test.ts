import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { tempDir, writeConfig } from '../support/config.js';
import { spawnBerth } from '../support/process.js';
import { freePort } from '../support/services.js';

/** `node dist --check-config` and `node dist` on the same config and environment; a server that starts anyway is killed. */
async function bothRuns(env: Record<string, string>, cwd = tempDir()) {
  const check = spawnBerth(env, ['--check-config'], cwd);
  const start = spawnBerth(env, [], cwd);
  const killer = setTimeout(() => start.kill('SIGKILL'), 15_000);
  const [checkCode, startCode] = await Promise.all([check.exited, start.exited]);
  clearTimeout(killer);
  return { check, start, checkCode, startCode };
}

describe('node dist --check-config', function () {
  this.timeout(30_000);

  const refused: Array<[string, string, RegExp]> = [
    [
      'an unknown driver',
      'dev:\n  storage: lokal\n',
      /dev\.storage: unknown storage driver "lokal"; available: local, file, s3, glance \(did you mean local\?\)/,
    ],
    ['s3 without a bucket', 'dev:\n  storage: s3\n', /dev\.boto_bucket: the S3 bucket is not set/],
    ['glance without glance_url', 'dev:\n  storage: glance\n  storage_path: /srv/x\n', /dev\.glance_url: set glance_url \(or OS_GLANCE_URL\)/],
    [
      'a search backend it cannot serve',
      'dev:\n  search_backend: elasticsearch\n  storage_path: /srv/x\n',
      /dev\.search_backend: unsupported search backend "elasticsearch"/,
    ],
  ];
  for (const [what, yaml, message] of refused) {
    it(`refuses ${what} with 78, as node dist does, with the same message`, async () => {
      const runs = await bothRuns({ DOCKER_REGISTRY_CONFIG: writeConfig(yaml) });
      assert.equal(runs.checkCode, 78, runs.check.stdout());
      assert.equal(runs.startCode, 78);
      assert.match(runs.check.stderr(), message);
      assert.equal(runs.check.stderr(), runs.start.stderr());
    });
  }

  it("refuses the README's example (SETTINGS_FLAVOR=prod on the shipped sample), naming the env var to set", async () => {
    const runs = await bothRuns({ SETTINGS_FLAVOR: 'prod' });
    assert.equal(runs.checkCode, 78);
    assert.equal(runs.startCode, 78);
    assert.match(runs.check.stderr(), /config_sample\.yml \(flavor "prod"\)/);
    assert.match(runs.check.stderr(), /prod\.boto_bucket: the S3 bucket is not set \(boto_bucket, or s3_bucket\) \(set by env AWS_BUCKET\)/);
  });

  it('lists unknown keys together with the errors', async () => {
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig('dev:\n  storage: lokal\n  storage_pth: /srv/registry\n') }, ['--check-config']);
    assert.equal(await b.exited, 78);
    assert.match(
      b.stderr(),
      /dev\.storage: unknown storage driver[\s\S]*warnings:\n {2}- dev\.storage_pth: unknown option, ignored \(did you mean storage_path\?\)/,
    );
  });

  it('a misspelt storage_path is not a silent fall-back to /tmp/registry', async () => {
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig('dev:\n  storage_pth: /srv/registry\n') }, ['--check-config']);
    assert.equal(await b.exited, 0);
    const { warnings } = JSON.parse(b.stdout()) as { warnings: string[] };
    assert.deepEqual(warnings, [
      'dev.storage_pth: unknown option, ignored (did you mean storage_path?)',
      'dev.storage_path: not set, so images are stored in /tmp/registry',
    ]);
  });

  it('opens nothing: no search database is created and an unreachable S3 endpoint is not tried', async () => {
    const db = path.join(tempDir(), 'search.db');
    const port = await freePort();
    const yaml = `dev:\n  storage: s3\n  boto_bucket: b\n  boto_host: 127.0.0.1\n  boto_port: ${port}\n  search_backend: sqlalchemy\n  sqlalchemy_index_database: sqlite:///${db}\n`;
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig(yaml) }, ['--check-config']);
    assert.equal(await b.exited, 0, b.stderr());
    assert.equal((JSON.parse(b.stdout()) as { ok: boolean }).ok, true);
    assert.equal(existsSync(db), false);
  });

  it('pastes safely: a misspelt password is redacted, a boolean that mentions a token is shown', async () => {
    const yaml = 'dev:\n  storage_path: /srv/x\n  standalone: false\n  disable_token_auth: true\n  email_exceptions:\n    smtp_pasword: hunter2\n';
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig(yaml) }, ['--check-config']);
    assert.equal(await b.exited, 0);
    assert.doesNotMatch(b.stdout(), /hunter2/);
    const { config, warnings } = JSON.parse(b.stdout()) as { config: Record<string, unknown>; warnings: string[] };
    assert.equal(config.disable_token_auth, true);
    assert.equal((config.email_exceptions as Record<string, unknown>).smtp_pasword, '[redacted]');
    assert.deepEqual(warnings, ['dev.email_exceptions.smtp_pasword: unknown option, ignored (did you mean email_exceptions.smtp_password?)']);
  });

  it('--connect lists the storage root: ok on local disk', async () => {
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig(`dev:\n  storage_path: ${tempDir()}\n`) }, ['--check-config', '--connect']);
    assert.equal(await b.exited, 0, b.stderr());
    assert.deepEqual((JSON.parse(b.stdout()) as { connect: unknown }).connect, { storage: 'ok' });
  });

  it('--connect: a storage that does not answer is exit 69, naming the driver and the failure', async () => {
    const port = await freePort();
    const yaml = `dev:\n  storage: s3\n  boto_bucket: b\n  boto_host: 127.0.0.1\n  boto_port: ${port}\n  s3_access_key: k\n  s3_secret_key: s\n`;
    const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig(yaml) }, ['--check-config', '--connect']);
    assert.equal(await b.exited, 69);
    assert.match(b.stderr(), new RegExp(`the s3 storage did not answer: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    assert.equal((JSON.parse(b.stdout()) as { ok: boolean }).ok, false);
  });

  it('--connect is only an option of --check-config', async () => {
    assert.equal(await spawnBerth({}, ['--connect']).exited, 2);
  });
});
