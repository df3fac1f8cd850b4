/**
 * `berth migrate-storage` run as an operator runs it (the built bin/berth): a local store
 * filled over HTTP (V1 and V2 images, the bridge's records) plus a few hundred small objects
 * goes to S3 on a real Ceph RGW and back to another local directory; each leg is killed with
 * SIGKILL halfway and run again, and the end is byte-identical to the start: the same listing,
 * every object's sha256 equal. A run on a finished copy copies nothing.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../lib/config/load.js';
import { storeFiles } from '../../lib/maintenance/migrate-storage.js';
import type { StorageDriver } from '../../lib/storage/driver.js';
import { createStorage } from '../../lib/storage/factory.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { startTestServer } from '../support/server.js';
import { s3ConfigLines, sharedRgw } from '../support/services.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

const BERTH = path.join(INSTALL_DIR, 'bin/berth');
const FILLER = 400;

describe('berth migrate-storage: local → S3 (Ceph RGW) → local, killed halfway each way', function () {
  this.timeout(300_000);
  let configFile: string;
  const open = (flavor: string) =>
    createStorage(loadConfig({ env: { DOCKER_REGISTRY_CONFIG: configFile, SETTINGS_FLAVOR: flavor }, cwd: INSTALL_DIR, installDir: INSTALL_DIR }).config);

  before(async function () {
    const rgw = await sharedRgw();
    if (!rgw) return this.skip();
    const common = '  standalone: true\n  loglevel: error\n';
    const yaml = `source:\n  storage: local\n  storage_path: ${tempDir('berth-migrate-src-')}\n${common}s3:\n${await s3ConfigLines(rgw, 'berth-migrate')}${common}back:\n  storage: local\n  storage_path: ${tempDir('berth-migrate-back-')}\n${common}`;
    configFile = path.join(tempDir('berth-migrate-config-'), 'config.yml');
    writeFileSync(configFile, yaml);
    const source = loadConfig({ env: { DOCKER_REGISTRY_CONFIG: configFile, SETTINGS_FLAVOR: 'source' }, cwd: INSTALL_DIR, installDir: INSTALL_DIR }).config;
    const srv = await startTestServer(source);
    try {
      const a = `${'a'.repeat(63)}1`;
      const b = `${'b'.repeat(63)}2`;
      const layer = (t: string) => gzipLayer({ [`${t}.txt`]: `${t}\n` });
      await v1Engine(srv.url).push('mig/v1', 'latest', [
        { id: a, json: v1Json(a, null), layer: (await layer('a')).bytes },
        { id: b, json: v1Json(b, a), layer: (await layer('b')).bytes },
      ]);
      const l = await layer('v2');
      await v2Client(srv.url).pushImage('mig/v2', 'latest', [l.bytes], {
        mediaType: DOCKER_MANIFEST,
        config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [l.diffId] } },
      });
      await srv.services.bridge?.idle();
    } finally {
      await srv.stop();
    }
    const store = open('source');
    try {
      for (let i = 0; i < FILLER; i++) await store.putContent(`filler/${String(i).padStart(4, '0')}`, `object ${i}\n`.repeat(1 + (i % 7)));
    } finally {
      await store.close();
    }
  });

  /** Run migrate-storage; with `killAfter`, SIGKILL it once the checkpoint records that many objects. */
  async function migrate(
    from: string,
    to: string,
    checkpoint: string,
    killAfter?: number,
  ): Promise<{ code: number | null; killed: boolean; report: Record<string, unknown> | null }> {
    const proc = spawn(process.execPath, [BERTH, 'migrate-storage', '--from', from, '--to', to, '--checkpoint', checkpoint, '--concurrency', '2', '--json'], {
      env: { PATH: process.env.PATH ?? '', DOCKER_REGISTRY_CONFIG: configFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
    let killed = false;
    if (killAfter !== undefined) {
      const deadline = Date.now() + 120_000;
      while (proc.exitCode === null && Date.now() < deadline) {
        const lines = (() => {
          try {
            return readFileSync(checkpoint, 'utf8').split('\n').length - 1;
          } catch {
            return 0;
          }
        })();
        if (lines >= killAfter) {
          proc.kill('SIGKILL');
          killed = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const code = await exited;
    return { code, killed, report: killed || !out ? null : (JSON.parse(out) as Record<string, unknown>) };
  }

  async function snapshot(storage: StorageDriver): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for await (const { path: p } of storeFiles(storage)) {
      const hash = createHash('sha256');
      for await (const chunk of await storage.reader(p)) hash.update(chunk as Buffer);
      found.set(p, hash.digest('hex'));
    }
    return found;
  }

  it('ends byte-identical: same listing, same sha256 for every object', async () => {
    const work = tempDir('berth-migrate-work-');
    for (const [from, to] of [
      ['source', 's3'],
      ['s3', 'back'],
    ] as const) {
      const checkpoint = path.join(work, `${from}-${to}.checkpoint`);
      const first = await migrate(from, to, checkpoint, FILLER / 3);
      assert.ok(first.killed, `${from} → ${to} was killed halfway (exit ${first.code})`);
      const done = readFileSync(checkpoint, 'utf8').split('\n').length - 1;
      const resumed = await migrate(from, to, checkpoint);
      assert.equal(resumed.code, 0, JSON.stringify(resumed.report));
      const r = resumed.report as { source: number; copied: number; skipped: number; failed: unknown[]; target: number; countsMatch: boolean };
      assert.deepEqual(r.failed, []);
      assert.ok(r.skipped >= done, `${r.skipped} skipped, ${done} recorded before the kill`);
      assert.ok(r.copied > 0 && r.copied + r.skipped === r.source, JSON.stringify(r));
      assert.equal(r.target, r.source, 'the final count matches');
      assert.ok(r.countsMatch);
    }
    const [source, back, s3] = [open('source'), open('back'), open('s3')];
    try {
      const [a, b, c] = [await snapshot(source), await snapshot(back), await snapshot(s3)];
      assert.ok(a.size > FILLER, `${a.size} objects`);
      assert.deepEqual([...b.keys()], [...a.keys()], 'the same listing');
      assert.deepEqual(b, a, 'every sha256 equal');
      assert.deepEqual(c, a, 'S3 held the same in between');
    } finally {
      await Promise.all([source.close(), back.close(), s3.close()]);
    }
    // Run again on a finished copy, without a checkpoint: it compares and copies nothing.
    const again = await migrate('s3', 'back', path.join(work, 'again.checkpoint'));
    assert.equal(again.code, 0);
    assert.equal((again.report as { copied: number }).copied, 0);
  });

  it('usage errors are exit 2, an unknown flavor exit 78', () => {
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [BERTH, 'migrate-storage', ...args], {
        env: { PATH: process.env.PATH ?? '', DOCKER_REGISTRY_CONFIG: configFile },
        encoding: 'utf8',
      });
    assert.equal(run('--from', 'source', '--to', 'source').status, 2, 'source and target the same');
    assert.equal(run('--from', 'source', '--to', 'back', '--concurrency', '0').status, 2);
    const unknown = run('--from', 'source', '--to', 'nosuchflavor');
    assert.equal(unknown.status, 78, unknown.stderr);
    assert.match(unknown.stderr, /nosuchflavor/);
  });
});
