/**
 * scripts/verify run as an operator runs it: on a local store filled over HTTP, with damage
 * injected on disk; exit codes 0 (clean) / 1 (findings) / 2 (usage) / 78 (config), the --json
 * report, --repair, --sample, --config/--flavor instead of the environment, and a progress
 * line on stderr when it is not a terminal.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Finding, VerifyReport } from '../../lib/maintenance/verify.js';
import { TEMP_PREFIX } from '../../lib/storage/writer-id.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, testConfig, writeConfig } from '../support/config.js';
import { startWriterProcess } from '../support/crashing-writer.js';
import { gzipLayer } from '../support/layers.js';
import { startTestServer } from '../support/server.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';

const A = `${'a'.repeat(63)}1`;
const B = `${'b'.repeat(63)}2`;
const C = `${'c'.repeat(63)}3`;
const GHOST = `${'d'.repeat(63)}4`;

describe('scripts/verify', function () {
  this.timeout(120_000);
  const store = tempDir('berth-fsck-');
  const config = writeConfig(`ops:\n  storage: local\n  storage_path: ${store}\n  upload_purge_age: 3600\n`);
  const verify = (args: string[], env: Record<string, string> = { DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 'ops' }) =>
    spawnSync(process.execPath, [path.join(INSTALL_DIR, 'scripts/verify'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
  const report = (out: string) => JSON.parse(out) as VerifyReport;
  const file = (p: string) => path.join(store, p);

  before(async () => {
    const srv = await startTestServer(testConfig('', {}, store));
    try {
      const base = await gzipLayer({ 'hello/': '', 'hello/world.txt': 'Hello\n' });
      const top = await gzipLayer({ 'hello/top.txt': 'top\n' });
      await v1Engine(srv.url).push('ops/app', 'latest', [
        { id: A, json: v1Json(A, null), layer: base.bytes },
        { id: B, json: v1Json(B, A), layer: top.bytes },
      ]);
      await srv.services.bridge?.idle();
    } finally {
      await srv.stop();
    }
  });

  it('a clean store: exit 0, every checksum recomputed, a progress line on stderr', () => {
    const run = verify([]);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /no findings/);
    assert.match(run.stdout, /checked 2 V1 image\(s\) \(2 checksum\(s\) recomputed, 0 without one\), 1 V1 tag\(s\)/);
    assert.match(run.stderr, /^verify: \d+\/\d+ in \d+ s/m);
    const json = verify(['--json', '--sample', '50%']);
    assert.equal(json.status, 0, json.stderr);
    assert.equal(report(json.stdout).sample, 0.5);
    assert.deepEqual(report(json.stdout).findings, []);
  });

  it('damage: exit 1 with the findings, --repair fixes the safe ones, then only what needs a person is left', async () => {
    // A corrupted layer byte, a tag pointing at nothing, a lost ancestry, a push abandoned an
    // hour and more ago (its mark), an abandoned V2 upload and a crashed writer's temp file.
    const layer = file(`images/${B}/layer`);
    const good = readFileSync(layer);
    const bad = Buffer.from(good);
    bad[10] = (bad[10] as number) ^ 1;
    writeFileSync(layer, bad);
    writeFileSync(file('repositories/ops/app/tag_ghost'), GHOST);
    const ancestry = readFileSync(file(`images/${A}/ancestry`));
    rmSync(file(`images/${A}/ancestry`));
    const stale = file(`images/${C}`);
    const old = new Date(Date.now() - 2 * 3600_000);
    mkdirSync(stale, { recursive: true });
    for (const [name, content] of [
      ['_inprogress', 'true'],
      ['json', v1Json(C, null)],
    ] as const) {
      writeFileSync(path.join(stale, name), content);
      utimesSync(path.join(stale, name), old, old);
    }
    const uploadDir = file('docker/registry/v2/repositories/ops/app/_uploads/0b3f3d6e-8d43-4c5b-9a59-6f1e8e7c2a10');
    mkdirSync(uploadDir, { recursive: true });
    writeFileSync(path.join(uploadDir, 'startedat'), old.toISOString());
    const crashed = await startWriterProcess(store, `images/${A}/_files`);
    await crashed.crash();

    const listed = verify(['--json']);
    assert.equal(listed.status, 1, listed.stderr);
    const found = report(listed.stdout);
    const byKind = (kind: Finding['kind']) => found.findings.filter((f) => f.kind === kind);
    assert.deepEqual(found.findings.map((f) => f.kind).sort(), [
      'ancestry-missing',
      'blob-digest-mismatch', // the bridge shows the V1 layer to V2 as a blob
      'checksum-mismatch',
      'crash-leftover',
      'inprogress-stale',
      'tag-dangling',
      'upload-abandoned',
    ]);
    assert.equal(byKind('checksum-mismatch')[0]?.path, `images/${B}/layer`);
    assert.equal(byKind('tag-dangling')[0]?.path, 'repositories/ops/app/tag_ghost');
    assert.equal(byKind('ancestry-missing')[0]?.repair, 'repairable');
    assert.match(byKind('crash-leftover')[0]?.path ?? '', new RegExp(`^images/${A}/\\${TEMP_PREFIX}`));
    assert.equal(found.remaining, 7);

    const text = verify([]);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /checksum-mismatch images\/b+2\/layer: sha256:[0-9a-f]+ does not match the stored sha256:/);
    assert.match(text.stdout, /7 finding\(s\), 4 of them repairable with --repair/);

    const repaired = verify(['--repair', '--json']);
    assert.equal(repaired.status, 1, 'a corrupt layer and a dangling tag are left for a person');
    const after = report(repaired.stdout);
    assert.deepEqual(
      after.findings
        .filter((f) => f.repair === 'repaired')
        .map((f) => f.kind)
        .sort(),
      ['ancestry-missing', 'crash-leftover', 'inprogress-stale', 'upload-abandoned'],
    );
    assert.equal(after.remaining, 3);
    assert.deepEqual(readFileSync(file(`images/${A}/ancestry`)), ancestry, 'rebuilt byte for byte');
    assert.equal(existsSync(stale), false);
    assert.equal(existsSync(uploadDir), false);

    // What a person does: push the layer again, remove the tag.
    writeFileSync(layer, good);
    rmSync(file('repositories/ops/app/tag_ghost'));
    const clean = verify(['--repair']);
    assert.equal(clean.status, 0, clean.stdout);
  });

  it('--config and --flavor stand in for the environment; usage errors exit 2, a bad config 78', () => {
    const run = verify(['--config', config, '--flavor', 'ops', '--json'], {});
    assert.equal(run.status, 0, run.stderr);
    assert.equal(report(run.stdout).checked.images, 2);
    assert.equal(verify(['--sample', 'lots']).status, 2);
    assert.equal(verify(['--sample', '0%']).status, 2);
    assert.equal(verify(['--age', 'soon']).status, 2);
    assert.equal(verify(['--bogus']).status, 2);
    const help = verify(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--repair/);
    assert.equal(verify(['--flavor', 'nope'], { DOCKER_REGISTRY_CONFIG: writeConfig('ops:\n  storage: nowhere\n') }).status, 78);
    assert.equal(verify([], { DOCKER_REGISTRY_CONFIG: writeConfig('ops:\n  storage: nowhere\n'), SETTINGS_FLAVOR: 'ops' }).status, 78);
  });
});
