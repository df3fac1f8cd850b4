/**
 * One upstream blob transfer (lib/mirror/blob-fetch.ts) on local storage: the live stream goes
 * to one client only, and only while it can still have every byte; what is kept is whole and
 * the digest's; a wrong body keeps nothing and never reaches a client whole.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { parseDigest } from '../../lib/checksums/digest.js';
import { buildDeps } from '../../lib/deps.js';
import { BlobFetch, DETACH_MS } from '../../lib/mirror/blob-fetch.js';
import { exists } from '../../lib/storage/driver.js';
import { v2 } from '../../lib/storage/paths.js';
import { testConfig } from '../support/config.js';
import { silentLogger } from '../support/server.js';

const digestOf = (b: Buffer) => parseDigest(`sha256:${createHash('sha256').update(b).digest('hex')}`) as NonNullable<ReturnType<typeof parseDigest>>;

describe('mirror: one upstream blob transfer', () => {
  const deps = buildDeps(testConfig(), silentLogger());
  const storage = deps.storage;
  after(() => storage.close());

  /** A body of 64 KiB chunks, as a socket delivers it (a Buffer body is one chunk). */
  const inChunks = (bytes: Buffer) => {
    let at = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(at, at + 65_536));
        at += 65_536;
      },
    });
  };

  const start = async (bytes: Buffer, digest = digestOf(bytes), chunked = false) => {
    const res = new Response(chunked ? inChunks(bytes) : bytes, { headers: { 'content-length': String(bytes.length) } });
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

  it('a live client that stops reading is let go: the copy completes and the blob is kept for the others', async function () {
    this.timeout(DETACH_MS + 10_000);
    const bytes = randomBytes(6 * 1024 * 1024);
    const { fetch, digest, stored } = await start(bytes, digestOf(bytes), true);
    const live = fetch.claim();
    assert.ok(live);
    const closed = new Promise<Error | undefined>((resolve) => live.on('close', () => resolve(live.errored ?? undefined)));
    live.on('error', () => {});
    // It never reads: without the cut-off the transfer would wait on it until the 60 s idle timeout failed it.
    const began = Date.now();
    await fetch.done;
    assert.ok(Date.now() - began < DETACH_MS + 5_000);
    assert.match(String(await closed), /read nothing/);
    assert.equal(stored(), bytes.length);
    assert.ok((await storage.getContent(v2.blobData(digest))).equals(bytes));
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
