/**
 * Moving what a Glance outage left on storage_alternate back into Glance, and sweeping
 * abandoned staging images: lib/maintenance/glance-restore.ts, and scripts/glance-restore over
 * it, against a real glance-api.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { restoreFromAlternate } from '../../lib/maintenance/glance-restore.js';
import { GlanceDriver } from '../../lib/storage/drivers/glance.js';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { GlanceApi } from '../../lib/storage/openstack/glance-api.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { rejectsKind } from '../storage/driver-suite.js';
import { tempDir, writeConfig } from '../support/config.js';
import { sharedGlance } from '../support/services.js';

const imageId = () => randomBytes(32).toString('hex');

/** scripts/glance-restore with `args`, on the `prod` flavor of the config file given. */
function restoreScript(config: string, args: string[]) {
  return spawnSync(process.execPath, [path.join(INSTALL_DIR, 'scripts/glance-restore'), ...args], {
    env: { PATH: process.env.PATH ?? '', SETTINGS_FLAVOR: 'prod', DOCKER_REGISTRY_CONFIG: config },
    encoding: 'utf8',
  });
}

describe('glance restore: restoreFromAlternate', function () {
  this.timeout(60_000);

  it('with Glance still down, moves nothing and says so', async () => {
    const root = tempDir('berth-restore-down-');
    const id = imageId();
    const local = new LocalDriver(root);
    await local.putContent(`images/${id}/json`, '{"kept":true}');
    const down = new GlanceDriver(new GlanceApi('http://127.0.0.1:9', null), local);
    await rejectsKind(restoreFromAlternate(down), 'driver_failure');
    assert.equal((await local.getContent(`images/${id}/json`)).toString(), '{"kept":true}');
    await rm(root, { recursive: true, force: true });
  });
});

describe('scripts/glance-restore', function () {
  this.timeout(120_000);

  it('moves what landed on the alternate into Glance; --dry-run only lists it', async function () {
    const glance = await sharedGlance();
    if (!glance) return this.skip();
    const alternateRoot = tempDir('berth-restore-');
    const id = imageId();
    const local = new LocalDriver(alternateRoot);
    await local.putContent(`images/${id}/json`, '{"restored":true}');
    await local.putContent(`images/${id}/layer`, 'layer bytes');
    await local.putContent('repositories/ns/repo/tag_latest', id);
    const config = writeConfig(`prod:\n  storage: glance\n  glance_url: ${glance.url}\n  storage_alternate: file\n  storage_path: ${alternateRoot}\n`);
    const run = (args: string[]) => restoreScript(config, args);

    const dry = run(['--dry-run']);
    assert.equal(dry.status, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would move images/${id}/json`));
    assert.equal((await local.getContent(`images/${id}/json`)).toString(), '{"restored":true}');

    const real = run(['--json']);
    assert.equal(real.status, 0, real.stderr);
    assert.deepEqual((JSON.parse(real.stdout) as { paths: string[] }).paths.sort(), [`images/${id}/json`, `images/${id}/layer`]);
    await rejectsKind(local.list('images'), 'not_found');
    assert.equal((await local.getContent('repositories/ns/repo/tag_latest')).toString(), id, 'repositories/ stay on the alternate');
    const check = new GlanceDriver(new GlanceApi(glance.url, null), new LocalDriver(tempDir()));
    assert.equal((await check.getContent(`images/${id}/layer`)).toString(), 'layer bytes');
    await check.delete(`images/${id}`);

    assert.equal(run(['--bogus']).status, 2);
    assert.equal(run(['--staging-age', 'soon']).status, 2);
  });

  it('deletes staging images of uploads that never finished (a crash mid-push)', async function () {
    const glance = await sharedGlance();
    if (!glance) return this.skip();
    const api = new GlanceApi(glance.url, null);
    const id = imageId();
    const left = await api.create({ name: `docker-layer-staging-${id}`, docker_staging_id: id }); // as a killed process leaves it
    const config = writeConfig(`prod:\n  storage: glance\n  glance_url: ${glance.url}\n  storage_path: ${tempDir()}\n`);
    const run = (args: string[]) => restoreScript(config, args);
    const young = JSON.parse(run(['--json']).stdout) as { staging: string[] };
    assert.deepEqual(young.staging, [], 'an upload younger than --staging-age may still be running');
    const dry = JSON.parse(run(['--json', '--dry-run', '--staging-age', '0']).stdout) as { staging: string[] };
    assert.equal(dry.staging.length, 1);
    assert.equal((await api.get(left.id)).id, left.id, 'a dry run deletes nothing');
    const swept = JSON.parse(run(['--json', '--staging-age', '0']).stdout) as { staging: string[] };
    assert.deepEqual(swept.staging, [`docker-layer-staging-${id} (${left.id}, queued)`]);
    await assert.rejects(api.get(left.id), /404/);
  });

  it('refuses a store that is not Glance', () => {
    const config = writeConfig(`prod:\n  storage: local\n  storage_path: ${tempDir()}\n`);
    const res = restoreScript(config, []);
    assert.equal(res.status, 78, res.stderr);
    assert.match(res.stderr, /^scripts\/glance-restore: .*storage: is local; this tool is for storage: glance/s);
  });
});
