// Start the real RGW and glance-api for a benchmark, on free loopback ports, through the same
// scripts the tests use; stop them by the scripts' PID files.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './common.mjs';

const run = promisify(execFile);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function start(script, env, dir) {
  const full = { ...process.env, ...env };
  await run('bash', [path.join(ROOT, 'scripts/services', script), 'start'], { env: full, timeout: 120_000 });
  return async () => {
    await run('bash', [path.join(ROOT, 'scripts/services', script), 'stop'], { env: full, timeout: 60_000 }).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
}

export async function startRgw() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-rgw-'));
  const port = await freePort();
  // bluestore on a sparse file: RGW frees deleted data only after its garbage-collection delay,
  // so repeated 1 GiB writes would fill the in-memory store the tests use.
  const stop = await start('rgw.sh', { RGW_DIR: dir, RGW_PORT: String(port), MON_PORT: String(await freePort()), RGW_OBJECTSTORE: 'bluestore' }, dir);
  return { endpoint: `http://127.0.0.1:${port}`, accessKey: 'TESTACCESSKEY', secretKey: 'testsecretkey', stop };
}

export async function startGlance() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-glance-'));
  const port = await freePort();
  const stop = await start('glance.sh', { GLANCE_DIR: dir, GLANCE_PORT: String(port) }, dir);
  return { url: `http://127.0.0.1:${port}`, stop };
}
