/**
 * Node 20 is supported (README "Requirements"). The AWS SDK warns at every start on Node < 22
 * that its releases after January 2027 will need Node 22; Berth pins a release that supports
 * Node 20, so that warning is turned off the way AWS documents, unless the operator set it.
 */
import assert from 'node:assert/strict';
import { tempDir, writeConfig } from '../support/config.js';
import { spawnBerth } from '../support/process.js';
import { freePort } from '../support/services.js';

const WARNING = /NodeVersionSupportWarning/;

async function s3Start(env: Record<string, string> = {}): Promise<string> {
  const port = await freePort(); // nothing listens: the server starts without reaching S3
  const yaml = `dev:\n  storage: s3\n  boto_bucket: b\n  boto_host: 127.0.0.1\n  boto_port: ${port}\n  s3_access_key: k\n  s3_secret_key: s\n  upload_purge_interval: 0\n`;
  const b = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig(yaml), ...env }, [], tempDir());
  await b.ready();
  b.kill('SIGTERM');
  assert.equal(await b.exited, 0);
  return b.stderr();
}

describe('node dist on Node 20 with S3 storage', function () {
  this.timeout(30_000);
  before(function () {
    if (Number(process.versions.node.split('.')[0]) >= 22) this.skip(); // the SDK does not warn there
  });

  it("starts without the AWS SDK's Node-version warning", async () => {
    assert.doesNotMatch(await s3Start(), WARNING);
  });

  it('an operator who sets AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED decides', async () => {
    assert.match(await s3Start({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'false' }), WARNING);
  });
});
