/**
 * A real V2 client: skopeo (Debian's) pushes an OCI image layout written by this test to
 * Berth in each of --format v2s2, oci and v2s1, inspects it, lists its tags, pulls it back
 * (the layer bytes must match), and deletes it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir, testConfig } from '../support/config.js';
import { layerTar, sha256, writeLayout } from '../support/oci-layout.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { skopeoAvailable } from '../support/services.js';

const run = promisify(execFile);

const FORMATS: Array<[format: string, mediaType: string]> = [
  ['v2s2', 'application/vnd.docker.distribution.manifest.v2+json'],
  ['oci', 'application/vnd.oci.image.manifest.v1+json'],
  ['v2s1', 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
];

describe('skopeo against Berth (a real V2 client)', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let host: string;
  let work: string;
  let layer: Buffer;
  // No policy.json or auth file of the machine is read: every call says what it needs.
  const skopeo = (...args: string[]) =>
    run('skopeo', ['--insecure-policy', '--registries-conf', '/dev/null', ...args], {
      env: { ...process.env, REGISTRY_AUTH_FILE: path.join(work, 'auth.json'), HOME: work },
      timeout: 60_000,
    });

  before(async function () {
    if (!skopeoAvailable()) return this.skip();
    srv = await startTestServer(testConfig());
    host = new URL(srv.url).host;
    work = tempDir('berth-skopeo-');
    writeFileSync(path.join(work, 'auth.json'), '{}');
    ({ layer } = writeLayout(path.join(work, 'layout'), await layerTar()));
  });
  after(() => srv?.stop());

  for (const [format, mediaType] of FORMATS) {
    it(`--format ${format}: push, inspect, list-tags, pull back the same layer bytes, delete`, async () => {
      const image = `docker://${host}/skopeo/${format}`;
      await skopeo('copy', '--dest-tls-verify=false', '--format', format, `oci:${path.join(work, 'layout')}:v1`, `${image}:v1`);

      const raw = JSON.parse((await skopeo('inspect', '--raw', '--tls-verify=false', `${image}:v1`)).stdout);
      const stored = await fetch(`${srv.url}/v2/skopeo/${format}/manifests/v1`, { method: 'HEAD', headers: { Accept: mediaType } });
      assert.equal(stored.headers.get('content-type'), mediaType);
      if (format === 'v2s1') assert.equal(raw.schemaVersion, 1);
      else assert.equal(raw.layers[0].digest, `sha256:${sha256(layer)}`);

      const info = JSON.parse((await skopeo('inspect', '--tls-verify=false', `${image}:v1`)).stdout);
      assert.equal(info.Digest, stored.headers.get('docker-content-digest'));
      assert.deepEqual(info.Layers, [`sha256:${sha256(layer)}`]);
      assert.equal(info.Architecture, 'amd64');

      const tags = JSON.parse((await skopeo('list-tags', '--tls-verify=false', image)).stdout);
      assert.deepEqual(tags.Tags, ['v1']);

      const out = path.join(work, `pulled-${format}`);
      await skopeo('copy', '--src-tls-verify=false', `${image}:v1`, `dir:${out}`);
      assert.ok(readFileSync(path.join(out, sha256(layer))).equals(layer), 'the pulled layer is byte for byte the pushed one');

      await skopeo('delete', '--tls-verify=false', `${image}:v1`);
      const gone = await fetch(`${srv.url}/v2/skopeo/${format}/manifests/v1`);
      assert.equal(gone.status, 404);
    });
  }
});
