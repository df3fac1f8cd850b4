/** scripts/purge-uploads, run as an operator runs it: config from DOCKER_REGISTRY_CONFIG, flavor from SETTINGS_FLAVOR. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, writeConfig } from '../support/config.js';
import { startWriterProcess } from '../support/crashing-writer.js';

const UUID = '0b3f3d6e-8d43-4c5b-9a59-6f1e8e7c2a10';

describe('scripts/purge-uploads', function () {
  this.timeout(30_000);
  const store = tempDir('berth-purge-');
  const session = path.join(store, 'docker/registry/v2/repositories/ns/app/_uploads', UUID);
  const config = writeConfig(`ops:\n  storage: local\n  storage_path: ${store}\n  upload_purge_age: 3600\n`);
  const purge = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(INSTALL_DIR, 'scripts/purge-uploads'), ...args], {
      env: { ...process.env, DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'ops' },
      encoding: 'utf8',
      timeout: 20_000,
    });

  before(() => {
    mkdirSync(session, { recursive: true });
    writeFileSync(path.join(session, 'startedat'), new Date(Date.now() - 2 * 3600_000).toISOString());
    writeFileSync(path.join(session, 'data'), 'half an upload');
  });

  it('keeps a session younger than --age, lists an old one with --dry-run, then purges it', () => {
    const young = purge('--age', String(3 * 3600));
    assert.equal(young.status, 0, young.stderr);
    assert.match(young.stdout, /0 upload session\(s\) purged/);
    const dry = purge('--dry-run');
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would purge ns/app/${UUID}`));
    assert.ok(existsSync(session), '--dry-run changes nothing');
    const real = purge();
    assert.equal(real.status, 0, real.stderr);
    assert.match(real.stdout, new RegExp(`purged ns/app/${UUID}`));
    assert.equal(existsSync(session), false);
  });

  it("reclaims a crashed writer's temp file too", async () => {
    const crashed = await startWriterProcess(store, 'images/1111111111111111/layer');
    await crashed.crash();
    const dir = path.join(store, 'images/1111111111111111');
    assert.equal(readdirSync(dir).length, 1);
    const dry = purge('--dry-run');
    assert.match(dry.stdout, /would reclaim temp-file images\/1111111111111111\/\.berth-tmp-\S+: its writer \(pid \d+ on this host\) is gone/);
    assert.match(dry.stdout, /1 crash leftover\(s\) to reclaim \(1\.0 MiB\)/);
    const real = purge();
    assert.equal(real.status, 0, real.stderr);
    assert.match(real.stdout, /1 crash leftover\(s\) reclaimed \(1\.0 MiB\)/);
    assert.equal(existsSync(dir), false);
  });

  it('refuses a bad --age with exit 2, and a broken config with exit 78', () => {
    assert.equal(purge('--age', 'soon').status, 2);
    assert.equal(purge('--leftover-age', '-1').status, 2);
    const broken = spawnSync(process.execPath, [path.join(INSTALL_DIR, 'scripts/purge-uploads')], {
      env: { ...process.env, DOCKER_REGISTRY_CONFIG: writeConfig('ops:\n  storage: nowhere\n'), SETTINGS_FLAVOR: 'ops' },
      encoding: 'utf8',
    });
    assert.equal(broken.status, 78, broken.stdout + broken.stderr);
  });
});
