/**
 * The S3 SDK, ioredis and nodemailer are loaded only when the config uses them (about 23 MiB of
 * resident memory otherwise carried for nothing; see lib/optional-modules.ts). Checked in a
 * fresh `node` on the built code, as `node dist` would build its graph: a static import of
 * any of them anywhere in lib/ would show in the require cache (CommonJS) or among the
 * modules the import hooks of test/support/record-imports.mjs saw (ESM, e.g. nodemailer's).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, writeConfig } from '../support/config.js';
import { freePort } from '../support/services.js';

const PACKAGES = ['@aws-sdk/client-s3', 'ioredis', 'nodemailer'];

/** The packages of PACKAGES whose files a process that built its deps from `yaml` has loaded. */
function loadedBy(yaml: string): string[] {
  const dist = (f: string) => pathToFileURL(path.join(INSTALL_DIR, 'dist', f)).href;
  const script = `
    import { createRequire, register } from 'node:module';
    import { readFileSync } from 'node:fs';
    register(${JSON.stringify(pathToFileURL(path.join(INSTALL_DIR, 'test/support/record-imports.mjs')).href)}, { data: { file: process.env.IMPORTS } });
    const { loadConfig } = await import(${JSON.stringify(dist('config/load.js'))});
    const { buildDeps, closeDeps } = await import(${JSON.stringify(dist('deps.js'))});
    const { createLogger } = await import(${JSON.stringify(dist('logging/logger.js'))});
    const env = { SETTINGS_FLAVOR: 't', DOCKER_REGISTRY_CONFIG: process.env.CONFIG };
    const { config } = loadConfig({ env, cwd: process.cwd(), installDir: ${JSON.stringify(INSTALL_DIR)} });
    const deps = buildDeps(config, createLogger('silent'));
    // CommonJS files in the require cache, ES modules as the hooks saw them resolved.
    const files = [...Object.keys(createRequire(import.meta.url).cache), ...readFileSync(process.env.IMPORTS, 'utf8').split('\\n')];
    const loaded = ${JSON.stringify(PACKAGES)}.filter((p) => files.some((f) => f.includes('/node_modules/' + p + '/')));
    await closeDeps(deps);
    console.log(JSON.stringify(loaded));
    process.exit(0);`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, CONFIG: writeConfig(yaml), IMPORTS: path.join(tempDir('berth-imports-'), 'imports.txt') },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '[]') as string[];
}

describe('optional client libraries', function () {
  this.timeout(60_000);

  it('a registry on local disk without Redis or mail loads none of them', () => {
    assert.deepEqual(loadedBy(`t:\n  storage: local\n  storage_path: ${tempDir()}\n  loglevel: error\n`), []);
  });

  it('each is loaded when the config uses it', async () => {
    const port = await freePort(); // nothing listens: the clients are built, not used
    const yaml = [
      't:',
      '  storage: s3',
      '  boto_bucket: b',
      '  s3_access_key: k',
      '  s3_secret_key: s',
      '  boto_host: 127.0.0.1',
      `  boto_port: ${port}`,
      '  loglevel: error',
      '  cache:',
      '    host: 127.0.0.1',
      `    port: ${port}`,
      '  email_exceptions:',
      '    smtp_host: 127.0.0.1',
      `    smtp_port: ${port}`,
      '',
    ].join('\n');
    assert.deepEqual(loadedBy(yaml).sort(), [...PACKAGES].sort());
  });
});
