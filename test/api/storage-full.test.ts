/**
 * Local storage running out of space (a real tmpfs of a few MiB, mounted by the test): a push
 * that does not fit answers 507 in the API's own envelope (V2 `{"errors"}` with
 * INSUFFICIENT_STORAGE, V1 `{"error"}`), leaves no object and no temp file behind, reads of
 * what is stored keep working, the server keeps answering /_ping, and once space is freed the
 * same push goes through at once. BERTH_LONG_TESTS=1 runs more rounds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TEMP_PREFIX } from '../../lib/storage/writer-id.js';
import { testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { isCi } from '../support/services.js';
import { freeBytes, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { jsonOf, payload, putChunked, v1Client } from '../support/v1-client.js';
import { type Reply, sha256, v2Client } from '../support/v2-client.js';

const MiB = 1024 * 1024;
const ROUNDS = process.env.BERTH_LONG_TESTS === '1' ? 6 : 1;
/** What the tmpfs holds: every round keeps its pushes (a V2 blob and a V1 layer of up to 2.3 MiB). */
const SIZE = ROUNDS === 1 ? 4 * MiB : 24 * MiB;
const FULL = { errors: [{ code: 'INSUFFICIENT_STORAGE', message: 'Insufficient storage: the registry storage is full, nothing was stored' }] };
const FULL_V1 = { error: 'Insufficient storage: the registry storage is full, nothing was stored' };

/** Every file under `dir` whose name is a writer's temp file. */
async function tempFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => path.basename(e).startsWith(TEMP_PREFIX));
}

describe('local storage that runs full', function () {
  this.timeout(120_000);
  let fs: Tmpfs;
  let srv: TestServer;
  let api: ReturnType<typeof v2Client>;
  let v1: ReturnType<typeof v1Client>;
  const ballast = () => path.join(fs.dir, 'ballast');

  before(async function () {
    const mounted = await mountTmpfs(SIZE);
    if ('refused' in mounted) {
      if (isCi(process.env)) throw new Error(`CI runs as root and must be able to mount a tmpfs: ${mounted.refused}`);
      process.stderr.write(`\n!! SKIPPING the disk-full tests: mount -t tmpfs was refused (${mounted.refused})\n\n`);
      return this.skip();
    }
    fs = mounted;
    srv = await startTestServer(testConfig('', {}, fs.dir));
    api = v2Client(srv.url);
    v1 = v1Client(srv.url);
  });
  after(async () => {
    await srv?.stop();
    await fs?.unmount();
  });

  /** Fill the disk with a ballast file until about `left` bytes stay free. */
  const fillUpTo = async (left: number) => {
    await rm(ballast(), { force: true });
    const free = await freeBytes(fs.dir);
    await writeFile(ballast(), Buffer.alloc(Math.max(0, free - left)));
  };

  const assertFull = (res: Reply, what: string) => {
    assert.equal(res.status, 507, `${what}: ${res.status} ${res.body.toString()}`);
    assert.deepEqual(res.json(), FULL, what);
  };

  const assertClean = async (what: string) => {
    // The V1-to-V2 bridge may be writing in the background (a temp file in flight): wait for it, boundedly.
    let left = await tempFiles(fs.dir);
    for (let i = 0; i < 50 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await tempFiles(fs.dir);
    }
    assert.deepEqual(left, [], `${what}: temp files left`);
    assert.equal((await api.call('GET', '/_ping')).status, 200, `${what}: /_ping`);
  };

  it('a body far bigger than the space left still gets its 507: the connection is not cut, the server stays up', async () => {
    // Storage fails while most of the body is still on its way: the request must not be
    // destroyed with the failed write (the client then saw a reset, Berth logged a 499, and
    // its access log threw on the socket that was gone).
    const session = await api.call('POST', '/v2/full/huge/blobs/uploads/');
    const id = randomBytes(32).toString('hex');
    assert.equal((await v1('PUT', `/v1/images/${id}/json`, { body: jsonOf(id) })).status, 200);
    await fillUpTo(0);
    try {
      const huge = randomBytes(12 * MiB);
      const digest = sha256(huge);
      assertFull(await api.call('POST', `/v2/full/huge/blobs/uploads/?digest=${digest}`, { body: huge }), 'monolithic');
      assertFull(await api.call('PATCH', session.headers.get('location') ?? '', { body: huge }), 'PATCH');
      const layer = await v1('PUT', `/v1/images/${id}/layer`, { body: huge });
      assert.deepEqual([layer.status, JSON.parse(layer.body.toString())], [507, FULL_V1]);
      // A new session cannot even be opened on a full disk: 507 too, nothing half made.
      assertFull(await api.call('POST', '/v2/full/other/blobs/uploads/'), 'new session');
      // The same connection pool keeps working.
      assert.equal((await api.call('GET', '/_ping')).status, 200);
      await assertClean('after the huge pushes');
    } finally {
      await rm(ballast(), { force: true });
    }
  });

  it('pushes that do not fit answer 507, leave nothing, reads go on, and the same pushes work once space is freed', async () => {
    const figures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const repo = `full/r${round}`;
      // Something stored before the disk fills, pulled back after every failure.
      const stored = randomBytes(64 * 1024);
      const storedDigest = await api.pushBlob(repo, stored);
      const image = await api.pushImage(repo, 'v1', [randomBytes(32 * 1024)]);
      const v1Id = randomBytes(32).toString('hex');
      const v1Layer = randomBytes(48 * 1024);
      assert.equal((await v1('PUT', `/v1/images/${v1Id}/json`, { body: jsonOf(v1Id) })).status, 200);
      assert.equal(await putChunked(srv.url, `/v1/images/${v1Id}/layer`, v1Layer), 200);
      assert.equal((await v1('PUT', `/v1/images/${v1Id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(jsonOf(v1Id), v1Layer) } })).status, 200);

      const readsStillWork = async (what: string) => {
        const blob = await api.call('GET', `/v2/${repo}/blobs/${storedDigest}`);
        assert.equal(blob.status, 200, what);
        assert.equal(sha256(blob.body), storedDigest, `${what}: stored blob`);
        const manifest = await api.call('GET', `/v2/${repo}/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
        assert.equal(sha256(manifest.body), image.digest, `${what}: manifest`);
        const layer = await v1('GET', `/v1/images/${v1Id}/layer`);
        assert.equal(sha256(layer.body), sha256(v1Layer), `${what}: V1 layer`);
        await assertClean(what);
      };

      // Room for about 256 KiB: each push below is bigger, at a different size each round.
      await fillUpTo(256 * 1024);
      const freeWhenFull = await freeBytes(fs.dir);
      const big = randomBytes((1 + round) * 384 * 1024);
      const bigDigest = sha256(big);

      // V2 monolithic POST ?digest=
      assertFull(await api.call('POST', `/v2/${repo}/blobs/uploads/?digest=${bigDigest}`, { body: big }), 'monolithic');
      assert.equal((await api.call('HEAD', `/v2/${repo}/blobs/${bigDigest}`)).status, 404, 'no blob after a full disk');
      await readsStillWork('after the monolithic push');

      // V2 chunked: the PATCH fails, the session stays at 0 and can take the chunk again.
      const session = await api.call('POST', `/v2/${repo}/blobs/uploads/`);
      assert.equal(session.status, 202);
      const location = session.headers.get('location') ?? '';
      assertFull(await api.call('PATCH', location, { body: big }), 'PATCH');
      assert.equal((await api.call('GET', location)).headers.get('range'), '0-0', 'the failed chunk was dropped');
      await readsStillWork('after the PATCH');

      // V1 layer, as Docker 1.x sends it (chunked): the image stays in progress.
      const id = randomBytes(32).toString('hex');
      assert.equal((await v1('PUT', `/v1/images/${id}/json`, { body: jsonOf(id) })).status, 200);
      const layerReply = await v1('PUT', `/v1/images/${id}/layer`, { body: big });
      assert.equal(layerReply.status, 507, layerReply.body.toString());
      assert.deepEqual(JSON.parse(layerReply.body.toString()), FULL_V1);
      assert.equal(layerReply.headers.get('content-type'), 'application/json; charset=utf-8');
      const during = await v1('GET', `/v1/images/${id}/layer`);
      assert.deepEqual(
        [during.status, JSON.parse(during.body.toString())],
        [400, { error: 'Image is being uploaded, retry later' }],
        'no V1 layer after a full disk',
      );
      await readsStillWork('after the V1 layer');

      // A small write (a manifest) on a disk with no room at all.
      await fillUpTo(0);
      const manifest = await api.putManifest(repo, 'full', image.bytes.toString());
      assertFull(manifest, 'manifest');
      assert.equal((await api.call('GET', `/v2/${repo}/manifests/full`)).status, 404, 'no tag after a full disk');
      await readsStillWork('after the manifest');

      // Space is freed: the same pushes go through at once and pull back byte-identical.
      await rm(ballast());
      assert.equal((await api.call('PATCH', location, { body: big })).status, 202, 'the PATCH again');
      assert.equal((await api.call('PUT', `${location}?digest=${bigDigest}`)).status, 201);
      assert.equal(await api.pushBlob(`${repo}-mono`, big), bigDigest);
      assert.equal((await api.putManifest(repo, 'full', image.bytes.toString())).status, 201);
      assert.equal(await putChunked(srv.url, `/v1/images/${id}/layer`, big), 200, 'the V1 layer again');
      assert.equal((await v1('PUT', `/v1/images/${id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(jsonOf(id), big) } })).status, 200);
      for (const [what, url] of [
        ['chunked blob', `/v2/${repo}/blobs/${bigDigest}`],
        ['monolithic blob', `/v2/${repo}-mono/blobs/${bigDigest}`],
      ]) {
        const res = await api.call('GET', url as string);
        assert.equal(sha256(res.body), bigDigest, `${what} after recovery`);
      }
      assert.equal(sha256((await v1('GET', `/v1/images/${id}/layer`)).body), bigDigest, 'V1 layer after recovery');
      assert.equal((await api.call('GET', `/v2/${repo}/manifests/full`)).status, 200);
      await readsStillWork('after recovery');
      figures.push(`round ${round}: ${big.length} B pushes refused with ${freeWhenFull} B free, accepted after`);
    }
    process.stdout.write(`      disk full (${SIZE / MiB} MiB tmpfs, ${ROUNDS} round(s)): ${figures.join('; ')}\n`);
  });
});
