/**
 * The bridge as real clients see it.
 * - A chain pushed over V1 (as Docker 1.x pushes it) is pulled by a real containerd (Debian's
 *   1.6, its own root and socket) and by skopeo, as Docker schema2 and as OCI: the layers
 *   unpack to the files that were pushed, and the config's diff_ids are the tars' sha256.
 *   containerd 2.1 and Docker 28 refuse schema1 outright (1.6 still accepts it), so the
 *   media type containerd recorded is what proves the bridge.
 * - An image pushed by skopeo (v2s2 and OCI) is pulled over V1, by the V1 replay and by the
 *   npm `docker-registry-client` in V1 mode: ancestry, JSON and layer bytes are right, and
 *   the payload checksum matches the bytes served.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { extract } from 'tar-stream';
import { tempDir, testConfig } from '../support/config.js';
import { dockerRegistryClient, promised, quietLog } from '../support/docker-registry-client.js';
import { gzipLayer } from '../support/layers.js';
import { writeLayout } from '../support/oci-layout.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ContainerdService, skopeoAvailable, startContainerd } from '../support/services.js';
import { v1Engine, v1Json } from '../support/v1-engine.js';

const run = promisify(execFile);
const A = `${'a'.repeat(63)}1`;
const B = `${'b'.repeat(63)}2`;
const FILES_A = { 'hello/world.txt': 'Hello from a Docker 1.x build host\n' };
const FILES_B = { 'hello/top.txt': 'the top layer\n', 'etc/motd': 'bridged\n' };

/** name → content of every regular file in a tar. */
async function filesOf(tar: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const x = extract();
  const done = new Promise<void>((resolve, reject) => {
    x.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') files[header.name] = Buffer.concat(chunks).toString();
        next();
      });
    });
    x.on('finish', resolve);
    x.on('error', reject);
  });
  x.end(tar);
  await done;
  return files;
}

async function pushV1Chain(srv: TestServer, repo: string) {
  const base = await gzipLayer(FILES_A);
  const top = await gzipLayer(FILES_B);
  await v1Engine(srv.url).push(repo, 'latest', [
    { id: A, json: v1Json(A, null), layer: base.bytes },
    { id: B, json: v1Json(B, A, { config: { Cmd: ['/bin/sh'] } }), layer: top.bytes },
  ]);
  await srv.services.bridge?.idle();
  return { base, top };
}

describe('a V1 push pulled by containerd (Debian 1.6)', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let containerd: ContainerdService | null;

  before(async function () {
    containerd = await startContainerd();
    if (!containerd) return this.skip();
    srv = await startTestServer(testConfig());
  });
  after(async () => {
    await containerd?.stop();
    await srv?.stop();
  });

  it('pulls and unpacks it as a Docker schema2 image (not schema1), with the files that were pushed', async () => {
    const ctr = containerd as ContainerdService;
    await pushV1Chain(srv, 'ctr/app');
    const ref = `${new URL(srv.url).host}/ctr/app:latest`;
    await ctr.ctr('images', 'pull', '--plain-http', '--snapshotter', 'native', ref);
    const list = (await ctr.ctr('images', 'ls')).stdout;
    const line = list.split('\n').find((l) => l.startsWith(ref)) ?? '';
    const type = line.split(/\s+/)[1];
    assert.ok(
      type === 'application/vnd.docker.distribution.manifest.v2+json' || type === 'application/vnd.oci.image.manifest.v1+json',
      `containerd recorded ${type}: ${list}`,
    );
    // Unpacking checks every layer against the config's diff_ids; then the files are in the
    // top snapshot (the native snapshotter copies each parent into its child).
    const trees = readdirSync(ctr.snapshots).map((n) => path.join(ctr.snapshots, n));
    for (const [file, content] of Object.entries({ ...FILES_A, ...FILES_B })) {
      assert.ok(
        trees.some((t) => safeRead(path.join(t, file)) === content),
        `${file} is unpacked with the content pushed`,
      );
    }
  });
});

function safeRead(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

describe('the bridge with skopeo and the npm docker-registry-client', function () {
  this.timeout(180_000);
  let srv: TestServer;
  let work: string;
  let host: string;
  const skopeo = (...args: string[]) =>
    run('skopeo', ['--insecure-policy', '--registries-conf', '/dev/null', ...args], {
      env: { ...process.env, REGISTRY_AUTH_FILE: path.join(work, 'auth.json'), HOME: work },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });

  before(async function () {
    if (!skopeoAvailable()) return this.skip();
    srv = await startTestServer(testConfig());
    host = new URL(srv.url).host;
    work = tempDir('berth-bridge-skopeo-');
    writeFileSync(path.join(work, 'auth.json'), '{}');
  });
  after(() => srv?.stop());

  for (const [format, mediaType] of [
    ['v2s2', 'application/vnd.docker.distribution.manifest.v2+json'],
    ['oci', 'application/vnd.oci.image.manifest.v1+json'],
  ] as const) {
    it(`skopeo copies a V1 push out as ${format}: the layers hold the pushed files, the config's diff_ids are the tars' sha256`, async () => {
      const { base, top } = await pushV1Chain(srv, `skopeo-pull/${format}`);
      const out = path.join(work, `pulled-${format}`);
      await skopeo('copy', '--src-tls-verify=false', '--format', format, `docker://${host}/skopeo-pull/${format}:latest`, `dir:${out}`);
      const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
      assert.equal(manifest.mediaType, mediaType);
      const config = JSON.parse(readFileSync(path.join(out, manifest.config.digest.slice('sha256:'.length)), 'utf8'));
      const tars = manifest.layers.map((l: { digest: string }) => gunzipSync(readFileSync(path.join(out, l.digest.slice('sha256:'.length)))));
      assert.deepEqual(
        config.rootfs.diff_ids,
        tars.map((t: Buffer) => `sha256:${createHash('sha256').update(t).digest('hex')}`),
      );
      assert.deepEqual(config.rootfs.diff_ids, [base.diffId, top.diffId]);
      assert.deepEqual(await filesOf(tars[0]), FILES_A);
      assert.deepEqual(await filesOf(tars[1]), FILES_B);
    });
  }

  for (const format of ['v2s2', 'oci'] as const) {
    it(`skopeo pushes ${format}; the V1 replay and docker-registry-client (V1) pull it: ancestry, JSON, layer bytes and checksums`, async () => {
      const layout = path.join(work, `layout-${format}`);
      const { layer } = writeLayout(layout, (await gzipLayer({ 'srv/app.txt': `pushed as ${format}\n` })).tar);
      await skopeo('copy', '--dest-tls-verify=false', '--format', format, `oci:${layout}:v1`, `docker://${host}/skopeo-push/${format}:v1`);
      await srv.services.bridge?.idle();

      const pulled = await v1Engine(srv.url).pull(`skopeo-push/${format}`, 'v1');
      assert.equal(pulled.chain.length, 1);
      const [only] = pulled.chain;
      assert.ok(only?.layer.equals(layer), 'the V1 layer is the blob skopeo pushed');
      assert.equal(only?.size, String(layer.length));
      assert.equal(only?.checksum, `sha256:${createHash('sha256').update(only.json).update('\n').update(only.layer).digest('hex')}`);
      assert.deepEqual(await filesOf(gunzipSync(only?.layer as Buffer)), { 'srv/app.txt': `pushed as ${format}\n` });

      // The npm client, as the V1 tooling of the time used it.
      const drc = dockerRegistryClient();
      const client = drc.createClientV1({ name: `${host}/skopeo-push/${format}`, scheme: 'http', insecure: true, log: quietLog() });
      try {
        const tags = await promised<Record<string, string>>((cb) => client.listRepoTags(cb));
        const id = tags.v1 as string;
        assert.equal(id, only?.id);
        const ancestry = await promised<string[]>((cb) => client.getImgAncestry({ imgId: id }, cb));
        assert.deepEqual(ancestry, [id]);
        const json = await new Promise<{ body: unknown; headers: Record<string, string> }>((resolve, reject) =>
          client.getImgJson({ imgId: id }, (err, body, res) => (err ? reject(err) : resolve({ body, headers: res.headers }))),
        );
        assert.equal((json.body as { id: string }).id, id);
        const stream = await promised<NodeJS.ReadableStream & { headers: Record<string, string> }>((cb) => client.getImgLayerStream({ imgId: id }, cb));
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        const ended = new Promise((resolve, reject) => {
          stream.on('end', resolve);
          stream.on('error', reject);
        });
        (stream as unknown as { resume(): void }).resume();
        await ended;
        const bytes = Buffer.concat(chunks);
        assert.ok(bytes.equals(layer));
        assert.equal(
          json.headers['x-docker-checksum-payload'],
          `sha256:${createHash('sha256')
            .update(only?.json as Buffer)
            .update('\n')
            .update(bytes)
            .digest('hex')}`,
        );
      } finally {
        client.close();
      }
    });
  }
});
