/** The test harness cleans up after itself: temp dirs are removed, left-over servers stopped first. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { isRunning } from '../support/process.js';

describe('test harness cleanup', function () {
  this.timeout(60_000);

  it('tempDir()s are removed after the run, once a server a test left running on one is stopped', async () => {
    const mocha = path.join(INSTALL_DIR, 'node_modules/mocha/bin/mocha.js');
    // The fixture starts a real server: mocha's default 2 s is too short on a loaded machine.
    const args = [
      '--no-config',
      '--timeout',
      '30000',
      '--extension',
      'ts',
      '--node-option',
      'import=tsx',
      '--require',
      'test/support/services-hooks.ts',
      '--exit',
    ];
    const child = spawn(process.execPath, [mocha, ...args, 'test/fixtures/mocha/temp-dirs.spec.ts'], {
      cwd: INSTALL_DIR,
      env: { ...process.env, CI: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0, out);
    const left = JSON.parse(/LEFT (.*)/.exec(out)?.[1] ?? 'null') as { dirs: string[]; pid: number } | null;
    assert.ok(left, out);
    assert.equal(isRunning(left.pid), false, 'the server is stopped');
    for (const dir of left.dirs) assert.equal(existsSync(dir), false, `${dir} is left behind`);
    assert.match(out, /killed 1 server process\(es\) a test left running/);
  });
});
