import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir } from '../support/config.js';
import { freePort } from '../support/services.js';

function launch(script: string, args: string[], env: Record<string, string>) {
  const proc = spawn(process.execPath, [path.join(INSTALL_DIR, 'wsgi-compat', script), ...args], {
    cwd: tempDir(),
    env: { PATH: process.env.PATH ?? '', STORAGE_PATH: tempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, exited, out: () => out, err: () => err };
}

async function waitFor(check: () => boolean, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('wsgi-compat launcher', function () {
  this.timeout(40_000);

  it('runs the documented gunicorn line: two workers on one port, drained by SIGTERM', async () => {
    const port = await freePort();
    const g = launch(
      'gunicorn',
      `--access-logfile - --error-logfile - -k gevent -b 127.0.0.1:${port} -w 2 --max-requests 100 docker_registry.wsgi:application`.split(' '),
      {},
    );
    await waitFor(() => (g.out().match(/listening on/g) ?? []).length === 2, 'two worker banners');
    assert.match(g.err(), /-k gevent: ignored/);
    const pids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/_ping`, { headers: { Connection: 'close' } });
      assert.equal(res.status, 200);
    }
    for (const m of g.out().matchAll(/"pid":(\d+)/g)) pids.add(m[1] as string);
    assert.equal(pids.size, 2, 'two worker processes logged');
    g.proc.kill('SIGTERM');
    assert.equal(await g.exited, 0);
  });

  it('refuses --daemon with exit code 2', async () => {
    const g = launch('gunicorn', ['--daemon', 'wsgi:application'], {});
    assert.equal(await g.exited, 2);
    assert.match(g.err(), /--daemon is not supported/);
  });

  it('docker-registry: the console script reads REGISTRY_PORT and GUNICORN_WORKERS', async () => {
    const port = await freePort();
    const g = launch('docker-registry', [], { REGISTRY_HOST: '127.0.0.1', REGISTRY_PORT: String(port), GUNICORN_WORKERS: '1' });
    await waitFor(() => /listening on/.test(g.out()), 'the banner');
    assert.equal((await fetch(`http://127.0.0.1:${port}/_ping`)).status, 200);
    g.proc.kill('SIGTERM');
    assert.equal(await g.exited, 0);
  });

  it('a worker that refuses the config stops the launcher with exit code 78', async () => {
    const port = await freePort();
    const g = launch('gunicorn', ['-b', `127.0.0.1:${port}`, '-w', '2'], { DOCKER_REGISTRY_CONFIG: '/nonexistent.yml' });
    assert.equal(await g.exited, 78);
    assert.match(g.err(), /File is missing/);
  });
});
