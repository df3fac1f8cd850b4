/**
 * Two worker processes (the gunicorn launcher, `-w 2`) on one store derive the same V2 view
 * of the same V1 chain: the bridge's bytes depend on the chain alone, not on which process
 * made them, nor when.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, writeConfig } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { freePort } from '../support/services.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';

const A = `${'a'.repeat(63)}1`;
const B = `${'b'.repeat(63)}2`;
const REPOS = 8;

describe('the bridge with two worker processes', function () {
  this.timeout(90_000);

  it('each worker derives the same manifest digest for the same V1 chain', async () => {
    const port = await freePort();
    const config = writeConfig(`t:\n  storage_path: ${tempDir()}\n  standalone: true\n  loglevel: info\n  lock_dir: ${tempDir()}\n`);
    const proc = spawn(
      process.execPath,
      [path.join(INSTALL_DIR, 'wsgi-compat/gunicorn'), '-b', `127.0.0.1:${port}`, '-w', '2', 'docker_registry.wsgi:application'],
      {
        env: { PATH: process.env.PATH ?? '', DOCKER_REGISTRY_CONFIG: config, SETTINGS_FLAVOR: 't' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout.on('data', (c) => (out += c));
    try {
      const deadline = Date.now() + 20_000;
      while ((out.match(/listening on/g) ?? []).length < 2) {
        assert.ok(Date.now() < deadline && proc.exitCode === null, `two workers did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const base = `http://127.0.0.1:${port}`;
      const layers = [await gzipLayer({ 'a.txt': 'a\n' }), await gzipLayer({ 'b.txt': 'b\n' })];
      const images = [
        { id: A, json: v1Json(A, null), layer: layers[0]?.bytes as Buffer },
        { id: B, json: v1Json(B, A), layer: layers[1]?.bytes as Buffer },
      ];
      for (let i = 0; i < REPOS; i++) await v1Engine(base).push(`workers/app${i}`, 'latest', images);
      const digests = new Set<string>();
      for (let i = 0; i < REPOS; i++) {
        const res = await fetch(`${base}/v2/workers/app${i}/manifests/latest`, {
          headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json', Connection: 'close' },
        });
        assert.equal(res.status, 200, `workers/app${i}`);
        digests.add(res.headers.get('docker-content-digest') ?? '');
      }
      assert.equal(digests.size, 1, `one digest for one chain: ${[...digests].join(', ')}`);
      // Both workers took tag writes (so both derived views): their pids are on the tag PUT lines.
      const tagWriters = new Set(
        out
          .split('\n')
          .filter((l) => l.includes('"method":"PUT"') && l.includes('/tags/'))
          .map((l) => /"pid":(\d+)/.exec(l)?.[1]),
      );
      assert.equal(tagWriters.size, 2, `both workers wrote tags:\n${[...tagWriters].join(', ')}`);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });
});
