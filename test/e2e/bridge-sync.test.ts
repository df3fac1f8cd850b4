/**
 * scripts/bridge-sync, run as an operator runs it on a store filled while the bridge was off:
 * every V1 tag is then shown over V2 and every V2 tag over V1; a second run finds nothing to
 * do; what cannot be bridged is reported with its reason and exit 1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { loadYaml, tempDir, writeConfig } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { startTestServer } from '../support/server.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function bridgeSync(config: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [path.join(INSTALL_DIR, 'scripts/bridge-sync'), ...args], {
      env: { ...process.env, DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'ops' },
      timeout: 60_000,
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c) => (stdout += c));
    proc.stderr.on('data', (c) => (stderr += c));
    proc.on('error', reject);
    proc.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('scripts/bridge-sync', function () {
  this.timeout(120_000);
  const store = tempDir('bridge-sync-store-');
  const lines = `  storage: local\n  storage_path: ${store}\n  standalone: true\n  loglevel: error\n`;
  const config = writeConfig(`ops:\n${lines}`);
  const A = `${'a'.repeat(63)}1`;
  const B = `${'b'.repeat(63)}2`;

  before(async () => {
    // Filled with the bridge off: each protocol has only its own images.
    const off = await startTestServer(loadYaml(`ops:\n${lines}  bridge: false\n`, 'ops').config);
    try {
      const base = await gzipLayer({ 'a.txt': 'a\n' });
      const top = await gzipLayer({ 'b.txt': 'b\n' });
      await v1Engine(off.url).push('old/app', 'latest', [
        { id: A, json: v1Json(A, null), layer: base.bytes },
        { id: B, json: v1Json(B, A), layer: top.bytes },
      ]);
      const layer = await gzipLayer({ 'c.txt': 'c\n' });
      const api = v2Client(off.url);
      await api.pushImage('new/app', '1.0', [layer.bytes], {
        mediaType: DOCKER_MANIFEST,
        config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } },
      });
      await api.pushImage('new/app', 'sbom', [Buffer.from('{}')], { extra: { artifactType: 'application/vnd.example.sbom' } });
    } finally {
      await off.stop();
    }
  });

  it('--dry-run lists what it would bridge and changes nothing', async () => {
    const dry = await bridgeSync(config, '--dry-run', '--json');
    assert.equal(dry.status, 0, dry.stderr);
    const report = JSON.parse(dry.stdout);
    assert.equal(report.dryRun, true);
    assert.deepEqual(report.bridged.map((t: { repository: string; tag: string }) => `${t.repository}:${t.tag}`).sort(), [
      'new/app:1.0',
      'new/app:sbom',
      'old/app:latest',
    ]);
    const srv = await startTestServer(loadYaml(`ops:\n${lines}`, 'ops').config);
    try {
      assert.equal((await v2Client(srv.url).call('GET', '/v2/old/app/manifests/latest', { headers: { Accept: DOCKER_MANIFEST } })).status, 404);
    } finally {
      await srv.stop();
    }
  });

  it('bridges both trees, reports the artifact it cannot show over V1 (exit 1), and a second run has nothing left to do', async () => {
    const run = await bridgeSync(config, '--json');
    assert.equal(run.status, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(report.bridged.map((t: { repository: string; tag: string }) => `${t.repository}:${t.tag}`).sort(), ['new/app:1.0', 'old/app:latest']);
    assert.equal(report.notBridgeable.length, 1);
    assert.equal(report.notBridgeable[0].tag, 'sbom');
    assert.match(report.notBridgeable[0].reason, /artifact/);
    assert.match(run.stderr, /bridge-sync: \d+\/\d+ in \d+ s/, 'a progress line when stderr is not a terminal');

    const srv = await startTestServer(loadYaml(`ops:\n${lines}`, 'ops').config);
    try {
      const v2 = await v2Client(srv.url).call('GET', '/v2/old/app/manifests/latest', { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(v2.status, 200);
      const pulled = await v1Engine(srv.url).pull('new/app', '1.0');
      assert.equal(pulled.chain.length, 1);
    } finally {
      await srv.stop();
    }

    const again = await bridgeSync(config);
    assert.equal(again.status, 1, 'the artifact stays not bridgeable');
    assert.match(again.stdout, /0 bridged, \d+ already bridged/);
  });
});
