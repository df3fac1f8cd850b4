/**
 * A V2-source mirror whose own storage runs full while it fetches a blob (a real tmpfs smaller
 * than the blob): the write error ends the fetch (it used to be an unhandled stream 'error'
 * that took the process down), the first client's body is cut, a client waiting for the stored
 * copy gets 507 in the V2 envelope, nothing partial is kept, and the server keeps answering.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { parseDigest } from '../../lib/checksums/digest.js';
import { exists } from '../../lib/storage/driver.js';
import { mirror as mirrorPaths, v2 } from '../../lib/storage/paths.js';
import { TEMP_PREFIX } from '../../lib/storage/writer-id.js';
import { testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { isCi } from '../support/services.js';
import { mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { DOCKER_MANIFEST, sha256, v2Client } from '../support/v2-client.js';

const MiB = 1024 * 1024;

describe('mirror of a V2 registry whose own storage runs full', function () {
  this.timeout(60_000);
  let fs: Tmpfs;
  let upstream: TestServer;
  let mirror: TestServer;
  let layer: Buffer;

  before(async function () {
    const mounted = await mountTmpfs(2 * MiB);
    if ('refused' in mounted) {
      if (isCi(process.env)) throw new Error(`CI runs as root and must be able to mount a tmpfs: ${mounted.refused}`);
      process.stderr.write(`\n!! SKIPPING the mirror disk-full test: mount -t tmpfs was refused (${mounted.refused})\n\n`);
      return this.skip();
    }
    fs = mounted;
    upstream = await startTestServer(testConfig());
    layer = randomBytes(8 * MiB);
    await v2Client(upstream.url).pushImage('ns/big', 'latest', [layer], { mediaType: DOCKER_MANIFEST });
    mirror = await startTestServer(testConfig(`  mirroring:\n    source: ${upstream.url}\n    protocol: v2\n`, {}, fs.dir));
  });
  after(async () => {
    await mirror?.stop();
    await upstream?.stop();
    await fs?.unmount();
  });

  it('a blob bigger than the space left: the fetch fails cleanly, nothing partial is kept, the server stays up', async () => {
    const digest = sha256(layer);
    const url = `${mirror.url}/v2/ns/big/blobs/${digest}`;
    // The first GET gets the live stream (cut when the write fails); the second waits for the stored copy.
    // It reads slowly, as a far client does: the copy waits on it while the disk write fails.
    let answered!: () => void;
    const firstAnswered = new Promise<void>((r) => (answered = r));
    const first = new Promise<{ status: number; received: number }>((resolve) => {
      http.get(url, (res) => {
        answered();
        let received = 0;
        res.pause();
        setTimeout(() => res.resume(), 500);
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
        });
        res.on('error', () => {});
        res.on('close', () => resolve({ status: res.statusCode ?? 0, received }));
      });
    });
    // Only once the first holds the live stream (its answer has begun) does the second ask.
    await firstAnswered;
    const second = await fetch(url);
    const body = await second.text();
    assert.equal(second.status, 507, body);
    assert.equal(JSON.parse(body).errors[0].code, 'INSUFFICIENT_STORAGE');
    const live = await first;
    assert.ok(live.received < layer.length, `the first client got ${live.received} of ${layer.length} bytes with status ${live.status}`);

    const stored = parseDigest(digest) as NonNullable<ReturnType<typeof parseDigest>>;
    assert.equal(await exists(mirror.deps.storage, v2.blobData(stored)), false, 'no partial blob stored');
    assert.equal(await exists(mirror.deps.storage, mirrorPaths.blob(stored)), false, 'no record of it');
    const entries = await readdir(fs.dir, { recursive: true });
    assert.deepEqual(
      entries.filter((e) => path.basename(e).startsWith(TEMP_PREFIX)),
      [],
      'no temp file left',
    );
    assert.equal((await fetch(`${mirror.url}/v2/`)).status, 200, 'the server still answers');
    const small = await fetch(`${mirror.url}/v2/ns/big/manifests/latest`, { headers: { Accept: DOCKER_MANIFEST } });
    assert.equal(small.status, 200, 'what fits is still fetched');
  });
});
