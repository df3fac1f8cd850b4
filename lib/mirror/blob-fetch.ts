/**
 * One blob coming from the upstream: a single GET whose bytes go to storage (hashed on the way,
 * kept only when whole and matching the digest) and, live, to the client that asked first. A
 * client that joins later, or asks for a range, waits for the stored copy: however many ask at
 * once, the upstream is asked once (distribution's `registry/proxy/proxyblobstore.go` keeps
 * `inflight` for the same reason). The transfer belongs to the fetch, not to the first client:
 * a client that goes away mid-blob, or stops reading for DETACH_MS, stops getting bytes, and the
 * copy still completes for the others.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { type Digest, fromHash } from '../checksums/digest.js';
import type { Logger } from '../logging/logger.js';
import type { ObjectWriter } from '../storage/driver.js';

/** A blob body may take as long as it needs, but not stall for longer than this. */
const IDLE_MS = 60_000;
/** How long the first client has to start reading before the fetch runs without it (a HEAD never reads). */
const CLAIM_MS = 200;
/**
 * How long the live client may hold the transfer up (it paces the upstream read) before it is
 * cut off: a client that stopped reading must not stall the fetch until IDLE_MS fails it for
 * everyone waiting; without it the copy goes on at full speed and they read the stored copy.
 */
export const DETACH_MS = 5_000;

export class BlobFetch {
  /** the bytes announced by the upstream (Content-Length), or null when it sent none */
  readonly size: number | null;
  /** settles when the blob is stored (and linked) or the fetch failed; never unhandled */
  readonly done: Promise<void>;
  private live: PassThrough | null = new PassThrough({ highWaterMark: 1024 * 1024 });
  private start!: (live: PassThrough | null) => void;

  constructor(
    readonly digest: Digest,
    res: Response,
    writer: ObjectWriter,
    /** after the bytes are committed: link them into the repository, record the pull */
    stored: (size: number) => Promise<void>,
    log: Logger,
    /** ends the upstream transfer (its body then fails) */
    private readonly abort: (why: Error) => void,
  ) {
    const length = res.headers.get('content-length');
    this.size = length !== null && /^\d+$/.test(length) ? Number(length) : null;
    const body = res.body as ReadableStream<Uint8Array>;
    const started = new Promise<PassThrough | null>((resolve) => {
      this.start = resolve;
    });
    const claim = setTimeout(() => {
      this.live = null; // too late for the first client: it reads the stored copy
      this.start(null);
    }, CLAIM_MS);
    // A write that fails (a full disk, an I/O error) ends the fetch at once, whatever the copy is
    // waiting for: without this listener the stream's 'error' would be unhandled and end the process.
    const writeFailed = new Promise<never>((_, reject) => {
      writer.stream.on('error', (err) => {
        this.abort(err);
        reject(err);
      });
    });
    writeFailed.catch(() => {});
    this.done = started.then(async (live) => {
      clearTimeout(claim);
      try {
        const copying = this.copy(body, writer, live);
        copying.catch(() => {}); // when the write failed first, the copy ends with the aborted transfer
        const { size, last } = await Promise.race([copying, writeFailed]);
        await stored(size);
        // The last bytes go once the blob is stored: a client that has it all knows it is kept.
        if (live && !live.destroyed) live.end(last);
      } catch (err) {
        this.abort(err instanceof Error ? err : new Error(String(err)));
        await writer.cancel().catch(() => {});
        live?.destroy(err instanceof Error ? err : new Error(String(err)));
        log.warn({ err, digest: digest.value }, 'mirror: blob not kept: the upstream transfer or its write to storage did not complete');
        throw err;
      }
    });
    this.done.catch(() => {});
  }

  /** The live stream of the whole blob, for the one client that may have it; null once taken or too late. */
  claim(): Readable | null {
    const live = this.live;
    this.live = null;
    if (live) this.start(live);
    return live;
  }

  /**
   * Upstream → storage and the live client. The last chunk is held back from the client until
   * the bytes are verified: a client never gets a whole blob that was not the digest's.
   */
  private async copy(body: ReadableStream<Uint8Array>, writer: ObjectWriter, live: PassThrough | null): Promise<{ size: number; last: Buffer }> {
    const hash = createHash(this.digest.algorithm);
    let size = 0;
    let held: Buffer = Buffer.alloc(0);
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => this.abort(new Error(`no data from upstream for ${IDLE_MS / 1000} s`)), IDLE_MS);
      idle.unref();
    };
    arm();
    try {
      for await (const bytes of body) {
        const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        arm();
        hash.update(chunk);
        size += chunk.length;
        if (!writer.stream.write(chunk)) await once(writer.stream, 'drain');
        // A client gone (its stream destroyed) just stops getting bytes; one that stalls is let go.
        if (live && !live.destroyed && held.length > 0 && !live.write(held) && !(await drainedOrGone(live, DETACH_MS))) {
          live.destroy(new Error(`the client read nothing for ${DETACH_MS / 1000} s: the fetch goes on without it`));
        }
        held = chunk;
      }
    } finally {
      clearTimeout(idle);
    }
    if (this.size !== null && size !== this.size) throw new Error(`upstream sent ${size} of ${this.size} bytes`);
    const actual = fromHash(this.digest.algorithm, hash);
    if (actual.value !== this.digest.value) throw new Error(`upstream sent bytes of ${actual.value}, not ${this.digest.value}`);
    writer.stream.end();
    await writer.commit();
    return { size, last: held };
  }
}

/** Until the client's stream drains or is gone (true), or `ms` passed (false); no listener left behind either way. */
function drainedOrGone(stream: PassThrough, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (drained: boolean) => {
      clearTimeout(timer);
      stream.off('drain', done);
      stream.off('close', done);
      resolve(drained);
    };
    const done = () => settle(true);
    const timer = setTimeout(() => settle(false), ms);
    stream.on('drain', done);
    stream.on('close', done);
  });
}
