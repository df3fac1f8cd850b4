/**
 * A pull-through cache of a V2 registry (README "Keep Docker 1.x hosts pulling"): the upstream
 * is Debian's docker-registry 2.8 behind a real bearer-token server (the mirror does the token
 * dance with its own credentials), fixtures are pushed through a second, open docker-registry
 * on the same root, and the upstream's access log counts what it really served. V2 clients
 * (fetch, skopeo) and V1 clients (Docker 1.x's calls) pull through it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDigest } from '../../lib/checksums/digest.js';
import { exists } from '../../lib/storage/driver.js';
import { mirror as mirrorPaths, v2 } from '../../lib/storage/paths.js';
import { tempDir, testConfig } from '../support/config.js';
import { type Distribution, startDistribution } from '../support/distribution.js';
import { dockerRegistryClient, promised, quietLog } from '../support/docker-registry-client.js';
import { capturingLogger, type LogLine } from '../support/log-capture.js';
import { type PushedImage, pushImage, pushList } from '../support/mirror-images.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { skopeoAvailable } from '../support/services.js';
import { startTokenServer, type TokenServer } from '../support/token-server.js';
import { v1Client } from '../support/v1-client.js';
import { v1Engine } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, sha256 } from '../support/v2-client.js';

const run = promisify(execFile);
const PASSWORD = 'upstream-s3cret-pw';
const BIG = (process.env.BERTH_LONG_TESTS === '1' ? 200 : 24) * 1024 * 1024;

describe('mirror of a V2 registry (pull-through cache behind a bearer-token upstream)', function () {
  this.timeout(180_000);
  let tokens: TokenServer;
  let feed: Distribution;
  let upstream: Distribution;
  let mirror: TestServer;
  let lines: LogLine[];
  let app: PushedImage;
  let big: PushedImage;
  let gone: PushedImage;
  let oci: PushedImage;
  let multi: { digest: string; images: Record<string, PushedImage> };

  const upstreamHits = (method: string, pathPart: string) => upstream.requests().filter((r) => r.method === method && r.path.includes(pathPart));
  const get = (p: string, headers: Record<string, string> = {}) => fetch(mirror.url + p, { headers });
  /** docker-registry writes its access line once a response is done, which may be after our client read the last byte. */
  const logged = () => new Promise((r) => setTimeout(r, 500));

  before(async () => {
    const root = tempDir('berth-upstream-root-');
    tokens = await startTokenServer({
      users: { mirror: PASSWORD },
      grants: {
        mirror: {
          'repository:library/app': ['pull'],
          'repository:ns/big': ['pull'],
          'repository:ns/multi': ['pull'],
          'repository:ns/moving': ['pull'],
          'repository:ns/gone': ['pull'],
          'repository:ns/oci': ['pull'],
        },
      },
    });
    feed = await startDistribution(root);
    upstream = await startDistribution(root, {
      kind: 'token',
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      rootcertbundle: tokens.bundleFile,
    });
    app = await pushImage(feed.url, 'library/app', 'latest', [300_000, 5000]);
    big = await pushImage(feed.url, 'ns/big', 'latest', [BIG]);
    multi = await pushList(feed.url, 'ns/multi', 'latest', ['arm64', 'amd64']);
    await pushImage(feed.url, 'ns/moving', 'v1', [1000]);
    gone = await pushImage(feed.url, 'ns/gone', 'latest', [12 * 1024 * 1024]);
    oci = await pushImage(feed.url, 'ns/oci', 'v1', [6000], { oci: true });
    const capture = capturingLogger();
    lines = capture.lines;
    mirror = await startTestServer(
      testConfig(
        [
          '  mirroring:',
          `    source: ${upstream.url}`,
          '    username: mirror',
          `    password: ${PASSWORD}`,
          '    library_names: true',
          '    manifests_cache_ttl: 1',
        ].join('\n') + '\n',
      ),
      { log: capture.log },
    );
  });
  after(async () => {
    await mirror?.stop();
    await upstream?.stop();
    await feed?.stop();
    await tokens?.close();
  });

  it('says mirror on _ping, and answers /v2/', async () => {
    assert.equal((await get('/v1/_ping')).headers.get('x-docker-registry-standalone'), 'mirror');
    assert.equal((await get('/v2/')).status, 200);
  });

  it('a V2 pull of a single name goes to library/<name> upstream, byte for byte, with one token per scope', async () => {
    const manifest = await get('/v2/app/manifests/latest', { Accept: DOCKER_MANIFEST });
    assert.equal(manifest.status, 200);
    assert.equal(manifest.headers.get('docker-content-digest'), app.digest);
    assert.ok(Buffer.from(await manifest.arrayBuffer()).equals(app.bytes));
    for (const layer of app.layers) {
      const blob = await get(`/v2/app/blobs/${sha256(layer)}`);
      assert.equal(blob.status, 200);
      assert.ok(Buffer.from(await blob.arrayBuffer()).equals(layer));
    }
    await logged();
    const tokensAfterFirst = tokens.requests;
    assert.ok(tokensAfterFirst >= 1, 'the mirror asked the token server');
    // Blobs by digest are kept: a second pull does not reach the upstream for them, nor the token server.
    const before = upstream.requests().length;
    for (const layer of app.layers) assert.equal((await get(`/v2/app/blobs/${sha256(layer)}`)).status, 200);
    await logged();
    assert.equal(upstream.requests().length, before);
    assert.equal(tokens.requests, tokensAfterFirst, 'tokens are cached per scope');
    // Another repository is another scope: one more token, asked of the realm already known (no 401 first).
    assert.equal((await get('/v2/ns/multi/tags/list')).status, 200);
    assert.equal((await get('/v2/ns/multi/tags/list')).status, 200);
    await logged();
    assert.equal(tokens.requests, tokensAfterFirst + 1);
    assert.deepEqual(
      upstreamHits('GET', '/v2/ns/multi/tags/list').map((r) => r.status),
      [200, 200],
    );
    assert.ok(upstreamHits('GET', `/v2/library/app/manifests/latest`).some((r) => r.status === 200));
  });

  it('skopeo copies schema2 and OCI images and a manifest list out of the mirror, byte for byte', async function () {
    if (!skopeoAvailable()) return this.skip();
    const work = tempDir('berth-mirror-skopeo-');
    writeFileSync(path.join(work, 'auth.json'), '{}');
    const skopeo = (...args: string[]) =>
      run('skopeo', ['--insecure-policy', '--registries-conf', '/dev/null', ...args], {
        env: { ...process.env, REGISTRY_AUTH_FILE: path.join(work, 'auth.json'), HOME: work },
        timeout: 60_000,
      });
    const host = new URL(mirror.url).host;
    await skopeo('copy', '--src-tls-verify=false', `docker://${host}/app:latest`, `dir:${path.join(work, 'app')}`);
    for (const layer of app.layers) assert.ok(readFileSync(path.join(work, 'app', sha256(layer).slice(7))).equals(layer));
    await skopeo('copy', '--src-tls-verify=false', '--override-arch', 'amd64', `docker://${host}/ns/multi:latest`, `dir:${path.join(work, 'multi')}`);
    await skopeo('copy', '--src-tls-verify=false', `docker://${host}/ns/oci:v1`, `dir:${path.join(work, 'oci')}`);
    assert.ok(readFileSync(path.join(work, 'oci', 'manifest.json')).equals(oci.bytes), 'the OCI manifest as the upstream has it');
    assert.ok(readFileSync(path.join(work, 'oci', sha256(oci.layers[0] as Buffer).slice(7))).equals(oci.layers[0] as Buffer));
    const amd64 = multi.images.amd64 as PushedImage;
    assert.ok(readFileSync(path.join(work, 'multi', sha256(amd64.layers[0] as Buffer).slice(7))).equals(amd64.layers[0] as Buffer));
  });

  it('20 concurrent cold pulls of one blob: every client gets it whole, the upstream serves it once', async () => {
    const layer = big.layers[0] as Buffer;
    const digest = sha256(layer);
    const pulls = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await get(`/v2/ns/big/blobs/${digest}`);
        const hash = createHash('sha256');
        let size = 0;
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
          hash.update(chunk);
          size += chunk.length;
        }
        return { status: res.status, size, digest: `sha256:${hash.digest('hex')}` };
      }),
    );
    for (const p of pulls) assert.deepEqual(p, { status: 200, size: layer.length, digest });
    await logged();
    assert.equal(upstreamHits('GET', `/blobs/${digest}`).filter((r) => r.status === 200).length, 1);
    assert.ok(await exists(mirror.deps.storage, v2.blobData(parseDigest(digest) as never)));
  });

  it('a client that goes away mid-miss leaves nothing partial: the fetch completes for the next client, who gets the whole blob from here', async () => {
    const layer = gone.layers[0] as Buffer;
    const digest = sha256(layer);
    const controller = new AbortController();
    const res = await fetch(`${mirror.url}/v2/ns/gone/blobs/${digest}`, { signal: controller.signal });
    let received = 0;
    await assert.rejects(async () => {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        received += chunk.length;
        if (received >= 1024 * 1024) controller.abort();
      }
    });
    assert.ok(received < layer.length);
    const stored = v2.blobData(parseDigest(digest) as never);
    for (let i = 0; i < 100 && !(await exists(mirror.deps.storage, stored)); i++) await new Promise((r) => setTimeout(r, 100));
    const kept = await mirror.deps.storage.getContent(stored);
    assert.equal(sha256(kept), digest, 'what is kept is the whole blob');
    const next = await get(`/v2/ns/gone/blobs/${digest}`);
    assert.equal(sha256(Buffer.from(await next.arrayBuffer())), digest);
    await logged();
    assert.equal(upstreamHits('GET', `/blobs/${digest}`).filter((r) => r.status === 200).length, 1, 'the upstream sent it once');
  });

  it('a tag is served for manifests_cache_ttl, then revalidated with a HEAD, and fetched again once it moved', async () => {
    const path1 = '/v2/ns/moving/manifests/v1';
    const first = await get(path1, { Accept: DOCKER_MANIFEST });
    assert.equal(first.status, 200);
    const gets = () => upstreamHits('GET', '/v2/ns/moving/manifests/v1').length;
    const heads = () => upstreamHits('HEAD', '/v2/ns/moving/manifests/v1').length;
    await logged();
    const [g0, h0] = [gets(), heads()];
    assert.equal((await get(path1, { Accept: DOCKER_MANIFEST })).status, 200);
    await logged();
    assert.deepEqual([gets(), heads()], [g0, h0], 'within the TTL the upstream is not asked');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await get(path1, { Accept: DOCKER_MANIFEST })).headers.get('docker-content-digest'), first.headers.get('docker-content-digest'));
    await logged();
    assert.deepEqual([gets(), heads()], [g0, h0 + 1], 'after the TTL: one HEAD, no GET');
    const moved = await pushImage(feed.url, 'ns/moving', 'v1', [2000]);
    await new Promise((r) => setTimeout(r, 600));
    const now = await get(path1, { Accept: DOCKER_MANIFEST });
    assert.equal(now.headers.get('docker-content-digest'), moved.digest);
    await logged();
    assert.deepEqual([gets(), heads()], [g0 + 1, h0 + 2]);
  });

  it('upstream errors are ours: an unknown repository is NAME_UNKNOWN, an unknown tag MANIFEST_UNKNOWN (no upstream challenge)', async () => {
    const tag = await get('/v2/app/manifests/nope');
    assert.equal(tag.status, 404);
    assert.equal(((await tag.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'MANIFEST_UNKNOWN');
    // The token server grants nothing on this repository: the upstream says 401, which is not passed on.
    const denied = await get('/v2/ns/secret/manifests/latest');
    assert.equal(denied.status, 401);
    assert.equal(((await denied.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNAUTHORIZED');
    assert.ok(!(denied.headers.get('www-authenticate') ?? '').includes(tokens.realm), 'never the upstream realm');
  });

  it('V1 clients pull the upstream image through the bridge: tags, ancestry, JSON and layers; a manifest list is its linux/amd64 image', async () => {
    const call = v1Client(mirror.url);
    const tag = await call('GET', '/v1/repositories/library/app/tags/latest');
    assert.equal(tag.status, 200, tag.body.toString());
    const id = JSON.parse(tag.body.toString()) as string;
    const ancestry = JSON.parse((await call('GET', `/v1/images/${id}/ancestry`)).body.toString()) as string[];
    assert.equal(ancestry.length, app.layers.length);
    const layersServed = [];
    for (const image of ancestry.slice().reverse()) {
      assert.equal((await call('GET', `/v1/images/${image}/json`)).status, 200);
      layersServed.push((await call('GET', `/v1/images/${image}/layer`)).body);
    }
    assert.deepEqual(
      layersServed.map((l) => sha256(l)),
      app.layers.map((l) => sha256(l)),
    );

    const list = await call('GET', '/v1/repositories/ns/multi/tags');
    assert.equal(list.status, 200, list.body.toString());
    const multiId = (JSON.parse(list.body.toString()) as Record<string, string>).latest as string;
    const images = await call('GET', '/v1/repositories/ns/multi/images', { headers: { 'X-Docker-Token': 'true' } });
    assert.equal(images.status, 200);
    assert.ok((JSON.parse(images.body.toString()) as Array<{ id: string }>).some((i) => i.id === multiId));
    const json = JSON.parse((await call('GET', `/v1/images/${multiId}/json`)).body.toString()) as { architecture?: string };
    assert.equal(json.architecture, 'amd64');
    const amd64Layer = (multi.images.amd64 as PushedImage).layers[0] as Buffer;
    assert.equal(sha256((await call('GET', `/v1/images/${multiId}/layer`)).body), sha256(amd64Layer));

    // Docker 1.5's whole pull (images, tags, ancestry, JSON, layers), and the npm client in V1 mode.
    const replay = await v1Engine(mirror.url).pull('ns/multi', 'latest');
    assert.equal(replay.top, multiId);
    assert.deepEqual(
      replay.chain.map((i) => sha256(i.layer)),
      [sha256(amd64Layer)],
    );
    const client = dockerRegistryClient().createClientV1({ name: `${new URL(mirror.url).host}/library/app`, scheme: 'http', insecure: true, log: quietLog() });
    try {
      assert.equal((await promised<Record<string, string>>((cb) => client.listRepoTags(cb))).latest, id);
      assert.deepEqual(await promised<string[]>((cb) => client.getImgAncestry({ imgId: id }, cb)), ancestry);
    } finally {
      client.close();
    }

    // The ids are the bridge's: a second mirror on its own storage derives the same ones.
    const other = await startTestServer(
      testConfig(`  mirroring:\n    source: ${upstream.url}\n    username: mirror\n    password: ${PASSWORD}\n    library_names: true\n`),
    );
    try {
      assert.equal(JSON.parse((await v1Client(other.url)('GET', '/v1/repositories/library/app/tags/latest')).body.toString()), id);
    } finally {
      await other.stop();
    }
  });

  it('pushes are refused in each API’s own error, and nothing reaches the upstream', async () => {
    const v2push = await fetch(`${mirror.url}/v2/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(v2push.status, 405);
    assert.equal(((await v2push.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNSUPPORTED');
    const manifestPut = await fetch(`${mirror.url}/v2/app/manifests/latest`, { method: 'PUT', body: app.bytes, headers: { 'Content-Type': DOCKER_MANIFEST } });
    assert.equal(manifestPut.status, 405);
    const v1push = await v1Client(mirror.url)('PUT', `/v1/images/${'c3'.repeat(32)}/json`, { body: '{}' });
    assert.equal(v1push.status, 405);
    assert.match(JSON.parse(v1push.body.toString()).error, /mirror/);
  });

  it('the upstream credentials never appear in logs, errors or /metrics', async () => {
    const metrics = await (await get('/metrics')).text();
    const denied = await (await get('/v2/ns/secret/manifests/latest')).text();
    const basic = Buffer.from(`mirror:${PASSWORD}`).toString('base64');
    for (const text of [JSON.stringify(lines), metrics, denied]) {
      assert.ok(!text.includes(PASSWORD), 'no password');
      assert.ok(!text.includes(basic), 'no basic credentials');
      assert.ok(!/Bearer ey/.test(text), 'no token');
    }
    assert.ok(lines.length > 0, 'something was logged to look through');
    assert.ok(!(await exists(mirror.deps.storage, mirrorPaths.blob(parseDigest(sha256('nothing')) as never))));
  });
});
