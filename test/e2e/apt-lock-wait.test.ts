/**
 * scripts/services/install.sh waits for another apt (unattended-upgrades on a fresh machine)
 * through apt-lock-wait.sh. Here a temp file stands in for dpkg's lock (APT_LOCK_FILES), held
 * with flock(1); the script reads /proc/locks, which lists flock and fcntl locks alike.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir } from '../support/config.js';

const SCRIPT = path.join(INSTALL_DIR, 'scripts/services/apt-lock-wait.sh');

function lockFile(): string {
  const file = path.join(tempDir(), 'lock-frontend');
  writeFileSync(file, '');
  return file;
}

/** flock(1) holding `file` for `seconds`; resolves once the lock is taken. */
async function hold(file: string, seconds: number): Promise<ChildProcess> {
  // Its own process group, so that stopping it also stops the sleep that inherited the lock.
  const holder = spawn('flock', [file, 'sh', '-c', `echo locked; sleep ${seconds}`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.once('data', () => resolve());
    holder.once('error', reject);
  });
  return holder;
}

function wait(env: Record<string, string>): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn('bash', [SCRIPT], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr += c));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, ms: Date.now() - started })));
}

describe('scripts/services/apt-lock-wait.sh (install.sh waits for another apt)', function () {
  this.timeout(30_000);

  it('returns at once when nobody holds the lock', async () => {
    const r = await wait({ APT_LOCK_FILES: lockFile() });
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
  });

  it('waits while another process holds the lock, saying which, and goes on when it is released', async () => {
    const file = lockFile();
    const holder = await hold(file, 2);
    const r = await wait({ APT_LOCK_FILES: `/nonexistent/lock ${file}`, APT_LOCK_TIMEOUT: '20' });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.ms >= 1000, `returned after ${r.ms} ms, before the lock was released`);
    assert.match(r.stderr, new RegExp(`${file} is held by pid ${holder.pid} \\(flock\\); waiting up to 20 s`));
  });

  it('gives up after APT_LOCK_TIMEOUT, naming the holder', async () => {
    const file = lockFile();
    const holder = await hold(file, 20);
    try {
      const r = await wait({ APT_LOCK_FILES: file, APT_LOCK_TIMEOUT: '1' });
      assert.equal(r.code, 1);
      assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
      assert.match(r.stderr, new RegExp(`gave up after 1 s: ${file} is held by pid ${holder.pid} \\(flock\\)`));
    } finally {
      process.kill(-(holder.pid as number), 'SIGTERM');
    }
  });
});
