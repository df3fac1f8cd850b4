/**
 * The README's start command must stop with its process: a supervisor (systemd, a container
 * runtime, a CI job) that sends SIGTERM to `npm start` must not leave `node dist` listening.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { tempDir, writeConfig } from '../support/config.js';
import { isRunning, spawnServer } from '../support/process.js';
import { freePort } from '../support/services.js';

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return check();
}

describe('npm start', function () {
  this.timeout(120_000);

  it('SIGTERM to the npm process stops node dist too: the port is closed and no server is left', async () => {
    const port = await freePort();
    const config = writeConfig(`dev:\n  storage_path: ${tempDir()}\n  loglevel: info\n`);
    const npm = spawnServer('npm', ['start'], { HOME: process.env.HOME ?? tempDir(), DOCKER_REGISTRY_CONFIG: config, REGISTRY_PORT: String(port) });
    let pid = 0;
    try {
      await npm.ready(90_000); // npm start builds first
      const banner =
        npm
          .stdout()
          .split('\n')
          .find((l) => l.includes('listening on')) ?? '';
      const facts = JSON.parse(banner) as { pid: number; listen: string };
      pid = facts.pid;
      assert.equal(facts.listen, `http://127.0.0.1:${port}`, 'REGISTRY_HOST=127.0.0.1 npm start (README) binds to the loopback address');
      assert.ok(pid > 0 && pid !== npm.proc.pid, 'the banner names the server process');
      npm.kill('SIGTERM');
      assert.ok(await until(() => npm.proc.exitCode !== null || npm.proc.signalCode !== null, 30_000), 'npm exits');
      assert.ok(await until(() => !isRunning(pid), 15_000), `node dist (pid ${pid}) is still running after npm exited`);
      assert.ok(await refused(port), `port ${port} still accepts connections`);
      assert.match(npm.stdout(), /"msg":"stopped"/, 'node dist drained and stopped on the forwarded signal');
    } finally {
      if (pid > 0 && isRunning(pid)) process.kill(pid, 'SIGKILL');
      npm.kill('SIGKILL');
    }
  });
});
