/**
 * The registry:2 layout, both ways: a store written by the reference registry (a committed
 * tree, and a live distribution 2.8 process) is served by Berth unchanged, and what Berth
 * writes is served by distribution; skopeo checks both sides.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { purgeUploads } from '../../lib/maintenance/purge-uploads.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, testConfig } from '../support/config.js';
import { type Distribution, startDistribution } from '../support/distribution.js';
import { layerTar, sha256, writeLayout } from '../support/oci-layout.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { distributionAvailable, skopeoAvailable } from '../support/services.js';
import { DOCKER_MANIFEST, OCI_MANIFEST, v2Client } from '../support/v2-client.js';

const FIXTURE = path.join(INSTALL_DIR, 'test/fixtures/registry/v2-distribution');
const run = promisify(execFile);

/** path → sha256 of every file under dir */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out.set(path.relative(dir, file), sha256(readFileSync(file)));
    }
  }
  return out;
}

describe('a store written by registry:2, served by Berth as it is', () => {
  let srv: TestServer;
  let root: string;
  let api: ReturnType<typeof v2Client>;
  before(async () => {
    root = tempDir('berth-r2-');
    cpSync(FIXTURE, root, { recursive: true });
    srv = await startTestServer(testConfig('', {}, root));
    api = v2Client(srv.url);
  });
  after(() => srv.stop());

  it('catalog, tags, manifests of each type and blobs come from the registry:2 tree, which is left unchanged', async () => {
    const before = snapshot(root);
    assert.deepEqual((await api.call('GET', '/v2/_catalog')).json(), { repositories: ['acme/tools', 'library/hello'] });
    assert.deepEqual((await api.call('GET', '/v2/acme/tools/tags/list')).json(), { name: 'acme/tools', tags: ['1.0', 'legacy'] });
    const blob = (d: string) => readFileSync(path.join(root, 'docker/registry/v2/blobs', d.replace(':', '/').replace('/', `/${d.slice(7, 9)}/`), 'data'));
    for (const [name, tag, accept] of [
      ['library/hello', 'latest', DOCKER_MANIFEST],
      ['acme/tools', '1.0', OCI_MANIFEST],
    ] as const) {
      const res = await api.call('GET', `/v2/${name}/manifests/${tag}`, { headers: { Accept: accept } });
      assert.equal(res.status, 200, `${name}:${tag}`);
      assert.equal(res.headers.get('content-type'), accept);
      const digest = res.headers.get('docker-content-digest') as string;
      assert.ok(res.body.equals(blob(digest)), 'the manifest bytes registry:2 stored');
      const manifest = res.json<{ layers: Array<{ digest: string }>; config: { digest: string } }>();
      for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
        const b = await api.call('GET', `/v2/${name}/blobs/${d}`);
        assert.equal(b.status, 200);
        assert.equal(`sha256:${sha256(b.body)}`, d);
      }
    }
    const legacy = await api.call('GET', '/v2/acme/tools/manifests/legacy');
    assert.equal(legacy.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v1+prettyjws');
    assert.equal(legacy.headers.get('docker-content-digest'), 'sha256:66bef3790a26fa060e42a6122fd4091053cb6de0a81349e38f75a995f4419eaf');
    const after = snapshot(root);
    for (const key of after.keys()) if (key.startsWith('berth/')) after.delete(key); // Berth's own schema1 key, beside the tree
    assert.deepEqual(after, before, 'serving changed nothing in the registry:2 tree');
  });

  it("registry:2's unfinished upload is purged by age like Berth's own", async () => {
    const { storage } = srv.deps;
    assert.deepEqual(await purgeUploads(storage, 10 * 365 * 24 * 3600_000), [], 'not old enough');
    const purged = await purgeUploads(storage, 0, { now: Date.now() + 1000 });
    assert.deepEqual(purged, ['acme/tools/7a010b48-0b73-4231-b1fd-176cfa9562b0']);
  });
});

describe('registry:2 and Berth on one store, both ways (distribution 2.8 and skopeo)', function () {
  this.timeout(120_000);
  let work: string;
  const skopeo = (...args: string[]) =>
    run('skopeo', ['--insecure-policy', '--registries-conf', '/dev/null', ...args], {
      env: { ...process.env, REGISTRY_AUTH_FILE: path.join(work, 'auth.json') },
      timeout: 60_000,
    });
  before(async function () {
    if (!(skopeoAvailable() && distributionAvailable())) return this.skip();
    work = tempDir('berth-interop-');
    writeFileSync(path.join(work, 'auth.json'), '{}');
    writeLayout(path.join(work, 'layout'), await layerTar());
  });

  /** Push with skopeo to `writer`, then read everything back through `reader`. */
  const roundTrip = async (writer: string, reader: string, label: string) => {
    for (const format of ['v2s2', 'oci', 'v2s1']) {
      const w = `docker://${new URL(writer).host}/interop/${format}:t`;
      const r = `docker://${new URL(reader).host}/interop/${format}:t`;
      await skopeo('copy', '--dest-tls-verify=false', '--format', format, `oci:${path.join(work, 'layout')}:v1`, w);
      const wrote = JSON.parse((await skopeo('inspect', '--tls-verify=false', w)).stdout);
      const read = JSON.parse((await skopeo('inspect', '--tls-verify=false', r)).stdout);
      assert.equal(read.Digest, wrote.Digest, `${label} ${format}: same manifest digest`);
      const out = path.join(work, `${label}-${format}`);
      await skopeo('copy', '--src-tls-verify=false', r, `dir:${out}`);
      const layer = (wrote.Layers as string[])[0] as string;
      assert.equal(sha256(readFileSync(path.join(out, layer.slice(7)))), layer.slice(7), `${label} ${format}: layer bytes`);
    }
    const tags = await fetch(`${reader}/v2/interop/oci/tags/list`).then((r) => r.json());
    assert.deepEqual(tags, { name: 'interop/oci', tags: ['t'] });
  };

  it('what Berth writes, registry:2 serves', async () => {
    const root = tempDir('berth-store-');
    const berth = await startTestServer(testConfig('', {}, root));
    let dist: Distribution | undefined;
    try {
      dist = await startDistribution(root);
      await roundTrip(berth.url, dist.url, 'berth-to-registry2');
    } finally {
      await dist?.stop();
      await berth.stop();
    }
  });

  it('what registry:2 writes, Berth serves', async () => {
    const root = tempDir('registry2-store-');
    const dist = await startDistribution(root);
    let berth: TestServer | undefined;
    try {
      berth = await startTestServer(testConfig('', {}, root));
      await roundTrip(dist.url, berth.url, 'registry2-to-berth');
    } finally {
      await berth?.stop();
      await dist.stop();
    }
  });
});
