/**
 * A V2-source mirror when its upstream misbehaves: a blob transfer cut mid-way (a TCP proxy
 * in front of docker-registry resets it) keeps nothing; an upstream that is down leaves cached
 * content served with a Warning and uncached requests failing cleanly; an upstream Berth that
 * answers 429 (its per-client connection cap) is TOOMANYREQUESTS, or the cache with a Warning.
 * Also: htpasswd basic auth upstream, the protocol detected from `/v2/`, allow_push keeping
 * pushes local, and eviction over max_bytes keeping pinned tags.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseDigest } from '../../lib/checksums/digest.js';
import { collectGarbage } from '../../lib/maintenance/gc.js';
import { MirrorEviction } from '../../lib/mirror/eviction.js';
import { exists } from '../../lib/storage/driver.js';
import { berth, mirror as mirrorPaths, v2 } from '../../lib/storage/paths.js';
import { tempDir, testConfig } from '../support/config.js';
import { type Distribution, startDistribution } from '../support/distribution.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { htpasswdLine } from '../support/htpasswd.js';
import { type PushedImage, pushImage } from '../support/mirror-images.js';
import { heldConnections } from '../support/raw-http.js';
import { silentLogger, startTestServer, type TestServer } from '../support/server.js';
import { DOCKER_MANIFEST, sha256, v2Client } from '../support/v2-client.js';

const code = async (res: Response) => ((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const digestOf = (data: Buffer) => parseDigest(sha256(data)) as NonNullable<ReturnType<typeof parseDigest>>;

/** GET a blob, reading until `stopAfter` bytes, then wait for the end; the bytes received and whether the answer was whole. */
function partialGet(url: string, onBytes: (received: number) => void): Promise<{ received: number; complete: boolean }> {
  return new Promise((resolve) => {
    http.get(url, (res) => {
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        onBytes(received);
      });
      res.on('end', () => resolve({ received, complete: res.complete }));
      res.on('error', () => resolve({ received, complete: false }));
      res.on('close', () => resolve({ received, complete: res.complete }));
    });
  });
}

describe('mirror of a V2 registry when the upstream misbehaves (docker-registry with htpasswd, behind a cuttable proxy)', function () {
  this.timeout(120_000);
  let feed: Distribution;
  let upstream: Distribution;
  let proxy: FaultProxy;
  let mirror: TestServer;
  let cut: PushedImage;

  before(async () => {
    const root = tempDir('berth-upstream-root-');
    const htpasswd = path.join(tempDir('berth-upstream-auth-'), 'htpasswd');
    writeFileSync(htpasswd, `${htpasswdLine('bcrypt', 'mirror', 'pw-of-mirror')}\n`);
    feed = await startDistribution(root);
    upstream = await startDistribution(root, { kind: 'htpasswd', file: htpasswd });
    proxy = await startFaultProxy(Number(new URL(upstream.url).port));
    cut = await pushImage(feed.url, 'ns/cut', 'latest', [40 * 1024 * 1024]);
    // No protocol given: the source's `/v2/` answer (a 401 naming registry/2.0) says it is V2.
    mirror = await startTestServer(testConfig(`  mirroring:\n    source: http://mirror:pw-of-mirror@127.0.0.1:${proxy.port}\n    manifests_cache_ttl: 1\n`));
  });
  after(async () => {
    await mirror?.stop();
    await proxy?.close();
    await upstream?.stop();
    await feed?.stop();
  });

  it('a blob transfer cut mid-way keeps nothing, and the next client gets the whole blob', async () => {
    const layer = cut.layers[0] as Buffer;
    const digest = digestOf(layer);
    let cutAt = 0;
    const first = await partialGet(`${mirror.url}/v2/ns/cut/blobs/${digest.value}`, (received) => {
      if (cutAt === 0 && received >= 1024 * 1024) {
        cutAt = received;
        proxy.cut();
      }
    });
    assert.ok(cutAt > 0 && !first.complete && first.received < layer.length, `the first client got ${first.received} of ${layer.length} bytes`);
    await pause(300);
    assert.equal(await exists(mirror.deps.storage, v2.blobData(digest)), false, 'no partial blob stored');
    assert.equal(await exists(mirror.deps.storage, mirrorPaths.blob(digest)), false, 'no record of it');
    proxy.restore();
    const again = await fetch(`${mirror.url}/v2/ns/cut/blobs/${digest.value}`);
    assert.equal(again.status, 200);
    const bytes = Buffer.from(await again.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), digest.hex);
    assert.equal(await exists(mirror.deps.storage, v2.blobData(digest)), true);
  });

  it('with the upstream down: a cached tag is served with a Warning, cached blobs are served, an uncached tag fails cleanly', async () => {
    const ok = await fetch(`${mirror.url}/v2/ns/cut/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('warning'), null);
    await pause(1100);
    proxy.cut();
    try {
      const stale = await fetch(`${mirror.url}/v2/ns/cut/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(stale.status, 200);
      assert.equal(stale.headers.get('docker-content-digest'), cut.digest);
      assert.match(stale.headers.get('warning') ?? '', /^110 .*Stale/);
      assert.equal((await fetch(`${mirror.url}/v2/ns/cut/blobs/${sha256(cut.layers[0] as Buffer)}`, { method: 'HEAD' })).status, 200);
      const missing = await fetch(`${mirror.url}/v2/ns/never/manifests/latest`);
      assert.equal(missing.status, 503);
      assert.equal(await code(missing), 'UNAVAILABLE');
    } finally {
      proxy.restore();
    }
  });
});

describe('mirror of another Berth (429 from its connection cap, allow_push, eviction)', function () {
  this.timeout(120_000);
  let upstream: TestServer;
  let mirror: TestServer;
  let app: { digest: string; layer: Buffer };
  let pinned: { digest: string; layer: Buffer };

  before(async () => {
    upstream = await startTestServer(testConfig('  max_connections_per_client: 3\n  keepalive_timeout: 0.2\n'));
    const client = v2Client(upstream.url);
    const push = async (name: string, size: number) => {
      const layer = Buffer.alloc(size, name);
      const { digest } = await client.pushImage(name, 'latest', [layer], { mediaType: DOCKER_MANIFEST });
      return { digest, layer };
    };
    app = await push('ns/app', 300_000);
    pinned = await push('ns/pinned', 200_000);
    await push('ns/other', 10);
    mirror = await startTestServer(
      testConfig(
        `  mirroring:\n    source: ${upstream.url}\n    protocol: v2\n    manifests_cache_ttl: 1\n    allow_push: true\n    max_bytes: 250000\n    pinned: ["ns/pinned:latest"]\n`,
      ),
    );
  });
  after(async () => {
    await mirror?.stop();
    await upstream?.stop();
  });

  it('an upstream answering 429 is TOOMANYREQUESTS for what is not cached, the cache with a Warning for what is', async () => {
    assert.equal((await fetch(`${mirror.url}/v2/ns/app/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST } })).status, 200);
    await pause(1100); // the TTL passes, and the upstream closes the mirror's idle connections
    const held = await heldConnections(upstream.url, 3);
    try {
      const stale = await fetch(`${mirror.url}/v2/ns/app/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST } });
      assert.equal(stale.status, 200);
      assert.match(stale.headers.get('warning') ?? '', /rate-limited/);
      const limited = await fetch(`${mirror.url}/v2/ns/other/manifests/latest`);
      assert.equal(limited.status, 429);
      assert.equal(await code(limited), 'TOOMANYREQUESTS');
    } finally {
      for (const s of held) s.destroy();
    }
  });

  it('with allow_push, a push stays here and never reaches the upstream', async () => {
    const { digest } = await v2Client(mirror.url).pushImage('ns/local', 'v1', [Buffer.from('local layer')], { mediaType: DOCKER_MANIFEST });
    const here = await fetch(`${mirror.url}/v2/ns/local/manifests/v1`, { headers: { Accept: DOCKER_MANIFEST } });
    assert.equal(here.status, 200);
    assert.equal(here.headers.get('docker-content-digest'), digest);
    assert.equal((await fetch(`${upstream.url}/v2/ns/local/manifests/v1`)).status, 404);
    const tags = await fetch(`${mirror.url}/v2/ns/local/tags/list`);
    assert.deepEqual(((await tags.json()) as { tags: string[] }).tags, ['v1'], 'listed though the upstream knows no such repository');
  });

  it('over max_bytes, the least recently pulled fetched blobs go, pinned tags stay, and an evicted blob comes back on its next pull', async () => {
    const pull = async (name: string, data: Buffer) => {
      const res = await fetch(`${mirror.url}/v2/${name}/blobs/${sha256(data)}`);
      assert.equal(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(data));
    };
    await pull('ns/pinned', pinned.layer);
    await fetch(`${mirror.url}/v2/ns/pinned/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST } });
    await pull('ns/app', app.layer);
    const eviction = new MirrorEviction(mirror.deps.storage, mirror.services.mirror as never, mirror.services.v2.manifests, silentLogger());
    const outcome = await eviction.run();
    assert.ok(outcome.before > 250_000, `fetched ${outcome.before} bytes`);
    assert.ok(outcome.after <= 250_000);
    assert.deepEqual(
      outcome.evicted.map((d) => d.value),
      [sha256(app.layer)],
    );
    assert.equal(await exists(mirror.deps.storage, v2.blobData(digestOf(app.layer))), false);
    assert.equal(await exists(mirror.deps.storage, v2.blobData(digestOf(pinned.layer))), true, 'the pinned tag keeps its layer');
    await pull('ns/app', app.layer);
  });

  it('with allow_push, a pushed image that shares a layer with a fetched one survives eviction', async () => {
    const digest = digestOf(app.layer);
    const record = JSON.parse((await mirror.deps.storage.getContent(mirrorPaths.blob(digest))).toString());
    assert.equal(record.size, app.layer.length, 'the layer was fetched again by the test before');
    await v2Client(mirror.url).pushImage('ns/mine', 'v1', [app.layer], { mediaType: DOCKER_MANIFEST });
    const outcome = await evictionOf(mirror).run();
    assert.deepEqual(outcome.evicted, []);
    assert.equal(await exists(mirror.deps.storage, v2.blobData(digest)), true, 'the pushed layer is kept');
    const res = await fetch(`${mirror.url}/v2/ns/mine/blobs/${digest.value}`);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(app.layer));
  });

  it('a fetched blob is linked with the stamp berth gc reads, and once gc swept it, eviction forgets its record', async () => {
    const upstreamManifest = await (await fetch(`${upstream.url}/v2/ns/other/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST } })).json();
    const digest = parseDigest((upstreamManifest as { layers: Array<{ digest: string }> }).layers[0]?.digest ?? '') as NonNullable<
      ReturnType<typeof parseDigest>
    >;
    assert.equal((await fetch(`${mirror.url}/v2/ns/other/blobs/${digest.value}`)).status, 200);
    assert.equal(await exists(mirror.deps.storage, berth.gcLinked(digest)), true, 'the link left the gc stamp');
    assert.equal(await exists(mirror.deps.storage, mirrorPaths.blob(digest)), true);
    await pause(1100); // older than gc's cutoff (no grace period, filesystem times in seconds)
    const report = await collectGarbage(mirror.deps.storage, { graceMs: 0, clockSlackMs: 0, locks: mirror.services.locks });
    assert.ok(report.swept.v2Blobs >= 1, JSON.stringify(report));
    assert.equal(await exists(mirror.deps.storage, v2.blobData(digest)), false, 'gc swept the blob no manifest refers to');
    await evictionOf(mirror).run();
    assert.equal(await exists(mirror.deps.storage, mirrorPaths.blob(digest)), false, 'its record went with it');
  });
});

const evictionOf = (mirror: TestServer) =>
  new MirrorEviction(mirror.deps.storage, mirror.services.mirror as never, mirror.services.v2.manifests, silentLogger());
