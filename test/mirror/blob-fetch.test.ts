/**
 * One upstream blob transfer (lib/mirror/blob-fetch.ts) on local storage: the live stream goes
 * to one client only, and only while it can still have every byte; what is kept is whole and
 * the digest's; a wrong body keeps nothing and never reaches a client whole.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { parseDigest } from '../../lib/checksums/digest.js';
import { buildDeps } from '../../lib/deps.js';
import { BlobFetch } from '../../lib/mirror/blob-fetch.js';
import { exists } from '../../lib/storage/driver.js';
import { v2 } from '../../lib/storage/paths.js';
import { testConfig } from '../support/config.js';
import { silentLogger } from '../support/server.js';

const digestOf = (b: Buffer) => parseDigest(`sha256:${createHash('sha256').update(b).digest('hex')}`) as NonNullable<ReturnType<typeof parseDigest>>;

describe('mirror: one upstream blob transfer', () => {
  const deps = buildDeps(testConfig(), silentLogger());
  const storage = deps.storage;
  after(() => storage.close());

  const start = async (bytes: Buffer, digest = digestOf(bytes)) => {
    const res = new Response(bytes, { headers: { 'content-length': String(bytes.length) } });
    let stored = 0;
    const fetch = new BlobFetch(
      digest,
      res,
      await storage.writer(v2.blobData(digest)),
      async (size) => {
        stored = size;
      },
      silentLogger(),
      () => {},
    );
    return { fetch, digest, stored: () => stored };
  };

  it('the first claim gets every byte, a second gets nothing; the blob is kept whole', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const { fetch, digest, stored } = await start(bytes);
    const live = fetch.claim();
    assert.ok(live);
    assert.equal(fetch.claim(), null);
    const chunks: Buffer[] = [];
    for await (const c of live) chunks.push(c as Buffer);
    await fetch.done;
    assert.ok(Buffer.concat(chunks).equals(bytes));
    assert.equal(stored(), bytes.length);
    assert.ok((await storage.getContent(v2.blobData(digest))).equals(bytes));
  });

  it('a client too late for the live stream gets none (it reads the stored copy), never a stream nobody feeds', async () => {
    const bytes = randomBytes(100_000);
    const { fetch } = await start(bytes);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(fetch.claim(), null);
    await fetch.done;
  });

  it('bytes that are not the digest’s are not kept, and the client never gets them whole', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    const claimed = digestOf(randomBytes(16));
    const { fetch, stored } = await start(bytes, claimed);
    const live = fetch.claim();
    assert.ok(live);
    let received = 0;
    await assert.rejects(async () => {
      for await (const c of live) received += (c as Buffer).length;
    });
    await assert.rejects(fetch.done);
    assert.ok(received < bytes.length, `the client got ${received} of ${bytes.length} bytes`);
    assert.equal(stored(), 0);
    assert.equal(await exists(storage, v2.blobData(claimed)), false);
  });
});
