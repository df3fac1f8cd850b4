/**
 * The `berth` executable as an operator runs it (bin/berth over the build): its help, its exit
 * codes (0 clean, 1 findings, 2 usage, 78 config), config selection by environment or
 * --config/--flavor, gc's --dry-run and --json, dump-repos in dump_repos_data.py's format,
 * search-reindex, and config-check answering as `node dist --check-config` does.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { startTestServer } from '../support/server.js';
import { payload } from '../support/v1-client.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';

const BERTH = path.join(INSTALL_DIR, 'bin/berth');
const A = `${'a'.repeat(63)}1`;
const B = `${'b'.repeat(63)}2`;
const ORPHAN = `${'c'.repeat(63)}3`;

describe('bin/berth', function () {
  this.timeout(120_000);
  let configFile: string;
  const berth = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BERTH, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', cwd: tempDir() });

  before(async () => {
    const yaml = `cli:\n  storage: local\n  storage_path: ${tempDir('berth-cli-store-')}\n  lock_dir: ${tempDir('berth-cli-locks-')}\n  standalone: true\n  loglevel: error\n  search_backend: sqlalchemy\n  sqlalchemy_index_database: sqlite:///${tempDir('berth-cli-search-')}/search.db\n`;
    configFile = path.join(tempDir('berth-cli-config-'), 'config.yml');
    writeFileSync(configFile, yaml);
    const srv = await startTestServer(loadYaml(yaml, 'cli').config);
    try {
      const layer = (t: string) => gzipLayer({ [`${t}.txt`]: `${t}\n` }).then((l) => l.bytes);
      await v1Engine(srv.url).push('cli/app', 'latest', [
        { id: A, json: v1Json(A, null), layer: await layer('a') },
        { id: B, json: v1Json(B, A), layer: await layer('b') },
      ]);
      const engine = v1Engine(srv.url);
      const json = v1Json(ORPHAN, null);
      const bytes = await layer('orphan');
      assert.equal((await engine.call('PUT', `/v1/images/${ORPHAN}/json`, { body: json })).status, 200);
      assert.equal((await engine.call('PUT', `/v1/images/${ORPHAN}/layer`, { body: bytes })).status, 200);
      const checksum = await engine.call('PUT', `/v1/images/${ORPHAN}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(json, bytes) } });
      assert.equal(checksum.status, 200);
      await srv.services.bridge?.idle();
    } finally {
      await srv.stop();
    }
  });

  it('berth --help lists every subcommand; no command or an unknown one is exit 2', () => {
    const help = berth(['--help']);
    assert.equal(help.status, 0);
    for (const cmd of ['gc', 'verify', 'migrate-storage', 'dump-repos', 'search-reindex', 'config-check', 'purge-uploads', 'bridge-sync']) {
      assert.match(help.stdout, new RegExp(`^  ${cmd} `, 'm'));
      const sub = berth([cmd, '--help']);
      assert.equal(sub.status, 0, `${cmd} --help`);
      assert.match(sub.stdout, /Usage:/);
    }
    assert.equal(berth([]).status, 2);
    assert.equal(berth(['frobnicate']).status, 2);
    assert.equal(berth(['gc', '--no-such-flag']).status, 2);
    assert.equal(berth(['gc', '--grace', 'soon']).status, 2);
  });

  it('a config it cannot use is exit 78, naming the flavor', () => {
    const missing = berth(['gc', '--dry-run', '--config', configFile, '--flavor', 'nosuch']);
    assert.equal(missing.status, 78, missing.stderr);
    assert.match(missing.stderr, /nosuch/);
    const viaEnv = berth(['verify'], { DOCKER_REGISTRY_CONFIG: path.join(tempDir(), 'absent.yml'), SETTINGS_FLAVOR: 'cli' });
    assert.equal(viaEnv.status, 78, viaEnv.stderr);
  });

  it('gc --dry-run --json lists the orphan (exit 1), gc removes it (exit 0), and then there is nothing to do', () => {
    const env = { DOCKER_REGISTRY_CONFIG: configFile, SETTINGS_FLAVOR: 'cli' };
    const dry = berth(['gc', '--dry-run', '--json', '--grace', '0'], env);
    assert.equal(dry.status, 1, dry.stderr);
    const report = JSON.parse(dry.stdout) as { dryRun: boolean; objects: Array<{ kind: string; name: string }>; freed: { objects: number } };
    assert.equal(report.dryRun, true);
    assert.deepEqual(
      report.objects.map((o) => `${o.kind} ${o.name}`),
      [`v1-image ${ORPHAN}`],
    );
    const young = berth(['gc', '--dry-run'], env);
    assert.equal(young.status, 0, 'within the default grace period (1 h) nothing goes');
    const run = berth(['gc', '--grace', '0'], env);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /freed 1 object/);
    assert.equal(berth(['gc', '--dry-run', '--grace', '0', '--config', configFile, '--flavor', 'cli']).status, 0);
    const verify = berth(['verify', '--json'], env);
    assert.equal(verify.status, 0, verify.stdout);
  });

  it('dump-repos writes what dump_repos_data.py wrote', () => {
    const out = path.join(tempDir(), 'repos.json');
    const run = berth(['dump-repos', out, '--config', configFile, '--flavor', 'cli']);
    assert.equal(run.status, 0, run.stderr);
    const dumped = JSON.parse(readFileSync(out, 'utf8')) as Array<{ namespace: string; repository: string; images: Array<{ id: string; checksum: string }> }>;
    assert.equal(dumped.length, 1);
    assert.equal(dumped[0]?.namespace, 'cli');
    assert.equal(dumped[0]?.repository, 'app');
    assert.deepEqual(dumped[0]?.images.map((i) => i.id).sort(), [A, B]);
    for (const i of dumped[0]?.images ?? []) assert.match(i.checksum, /sha256:[a-f0-9]{64}/);
    assert.match(readFileSync(out, 'utf8'), /^\[\n {4}\{\n {8}"namespace"/, 'indented by 4, as json.dump(indent=4)');
  });

  it('search-reindex adds what the index lacks; config-check answers as node dist --check-config', () => {
    const env = { DOCKER_REGISTRY_CONFIG: configFile, SETTINGS_FLAVOR: 'cli' };
    const dry = berth(['search-reindex', '--dry-run', '--json'], env);
    const planned = JSON.parse(dry.stdout) as { added: string[]; removed: string[] };
    const run = berth(['search-reindex', '--json'], env);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual((JSON.parse(run.stdout) as { added: string[] }).added, planned.added);
    const again = berth(['search-reindex', '--dry-run'], env);
    assert.equal(again.status, 0, 'nothing left to change');
    const check = berth(['config-check'], env);
    const dist = spawnSync(process.execPath, [path.join(INSTALL_DIR, 'dist'), '--check-config'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(check.status, dist.status);
    assert.deepEqual(JSON.parse(check.stdout), JSON.parse(dist.stdout));
  });
});
