/**
 * Every request body is watched until it is complete, so that a client cannot hold a
 * connection (and the file, lock or session behind it) by sending slowly:
 *
 * - rate: at least `minBytes` every `intervalMs` (body_min_rate_bytes per
 *   body_min_rate_interval), for every body, layers and blobs included;
 * - idle: no byte at all for `idleMs` (upload_idle_timeout, layer and blob bodies);
 * - deadline: the whole body within `deadlineMs` (small_body_timeout, bodies read whole).
 *
 * Progress is read from the socket's byte count, polled by one timer for all bodies: a
 * 'data' listener on the socket would take it out of the HTTP parser's hands. Time in which
 * Berth is not reading (the socket is paused, or bytes wait in the request's buffer: storage
 * is slow, the handler waits for a lock or has not started reading) is never the client's:
 * the rate and idle clocks start again after it. The deadline is absolute.
 *
 * A handler reads the body through `WatchedBody.stream()` (http/read-body.ts). When a rule is
 * broken, that stream fails with the handler's own error (a V1 or V2 408, with
 * `Connection: close`), so the client is answered in its API's envelope and whatever was being
 * written is abandoned as on any failed body (storage writes commit only a whole body); the
 * socket is destroyed shortly after in any case. A body no handler reads (a body sent with a
 * GET, or one Node discards after the response) has no one to answer: its connection is closed.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { STREAM_CHUNK } from '../storage/driver.js';

export interface BodyRules {
  /** bytes that must arrive per interval; 0: no rate rule */
  minBytes: number;
  intervalMs: number;
  /** a small body (read whole) must be complete within this long; 0: no deadline */
  smallBodyMs: number;
  /** an upload body that sends nothing for this long is cut; 0: no idle rule beyond the rate */
  uploadIdleMs: number;
}

/** What the body is: read whole (the deadline applies) or streamed to storage (the idle rule applies). */
export type BodyKind = 'small' | 'upload';

export type CutReason = 'rate' | 'idle' | 'deadline';

export interface Cut {
  reason: CutReason;
  /** for the client: what was too slow ("less than 1024 bytes in 30 s") */
  text: string;
}

/** After a cut body's 408, the connection is closed: at once if the answer is out, at the latest after this. */
const CLOSE_GRACE_MS = 5_000;

/** A request body watched until it is complete; `stream()` hands it to a handler. */
export interface WatchedBody {
  /**
   * The body, failing with `tooSlow(cut)` when the client breaks a rule. A reader that destroys
   * the stream before its end (storage failed, the body is too large) leaves the request
   * alone: the rest of the body is read and dropped, and `givenUp` is called (the answer should
   * close the connection). Only one stream per body.
   */
  stream(kind: BodyKind, tooSlow: (cut: Cut) => Error, givenUp?: () => void): Readable;
}

class Entry implements WatchedBody {
  readonly socket: Socket;
  seen: number;
  windowStart: number;
  windowBase: number;
  lastProgress: number;
  idleMs = 0;
  deadline = Number.POSITIVE_INFINITY;
  deadlineMs = 0;
  claimed: { out: Readable; tooSlow: (cut: Cut) => Error } | null = null;
  cut = false;

  constructor(
    readonly req: IncomingMessage,
    private readonly watch: BodyWatch,
    now: number,
    readonly onCut: (cut: Cut) => void,
  ) {
    this.socket = req.socket;
    this.seen = this.socket.bytesRead;
    this.windowBase = this.seen;
    this.windowStart = now;
    this.lastProgress = now;
  }

  stream(kind: BodyKind, tooSlow: (cut: Cut) => Error, givenUp: () => void = () => {}): Readable {
    if (this.claimed) throw new Error('request body already handed out');
    const { req } = this;
    const { smallBodyMs, uploadIdleMs } = this.watch.rules;
    if (kind === 'upload') this.idleMs = uploadIdleMs;
    if (kind === 'small' && smallBodyMs > 0) {
      this.deadlineMs = smallBodyMs;
      this.deadline = this.watch.now() + smallBodyMs;
    }
    let attached = false;
    const onData = (chunk: Buffer) => {
      if (!out.push(chunk)) req.pause();
    };
    const onEnd = () => out.push(null);
    const onClose = () => {
      // Closed before the end: the client went away (or the socket was cut).
      if (!req.complete) out.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    };
    const detach = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
    };
    const out = new Readable({
      highWaterMark: STREAM_CHUNK,
      read() {
        // Attached on the first read, so a handler that fails before reading leaves the
        // request untouched and Node discards the body after the response as usual.
        if (!attached) {
          attached = true;
          req.on('data', onData);
          req.once('end', onEnd);
        }
        req.resume();
      },
      destroy: (err, done) => {
        detach();
        if (!req.readableEnded && !req.destroyed) {
          // Cut by the watch: nothing more is read from this client; the 408 goes out and the
          // connection closes. Given up by the reader: the rest is read and dropped (by Node,
          // after the answer, when it was never read).
          if (this.cut) req.pause();
          else {
            if (attached) req.resume();
            givenUp();
          }
        }
        done(err);
      },
    });
    req.once('close', onClose);
    // Whoever reads it sees its failure; one nobody reads (a handler that failed before reading)
    // must not turn a client going away, or a cut, into an uncaught exception.
    out.on('error', () => {});
    if (req.readableEnded) out.push(null);
    this.claimed = { out, tooSlow };
    return out;
  }

  /** Called by the watch when a rule is broken. */
  breakOff(cut: Cut): void {
    this.cut = true;
    const claimed = this.claimed;
    if (!claimed || claimed.out.destroyed) {
      this.socket.destroy();
      return;
    }
    claimed.out.destroy(claimed.tooSlow(cut));
    const socket = this.socket;
    const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }
}

export class BodyWatch {
  private readonly entries = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;
  private readonly tickMs: number;

  constructor(
    readonly rules: BodyRules,
    options: { tickMs?: number; now?: () => number } = {},
  ) {
    const periods = [rules.minBytes > 0 ? rules.intervalMs : 0, rules.smallBodyMs, rules.uploadIdleMs].filter((ms) => ms > 0);
    this.tickMs = options.tickMs ?? Math.max(25, Math.min(1000, ...periods.map((ms) => ms / 4)));
    this.now = options.now ?? Date.now;
  }

  readonly now: () => number;

  /** Start watching `req`'s body (`onCut` hears of a cut); null for a request without one. A complete body is handed out the same way. */
  watch(req: IncomingMessage, onCut: (cut: Cut) => void = () => {}): WatchedBody | null {
    if (!hasBody(req)) return null;
    const entry = new Entry(req, this, this.now(), onCut);
    this.entries.add(entry);
    const forget = () => this.forget(entry);
    req.once('end', forget);
    req.once('close', forget);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    return entry;
  }

  /** How many bodies are being watched (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private forget(entry: Entry): void {
    this.entries.delete(entry);
    if (this.entries.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = this.now();
    for (const entry of this.entries) {
      const { req, socket } = entry;
      if (req.complete || req.destroyed || socket.destroyed) {
        this.forget(entry);
        continue;
      }
      const cut = this.verdict(entry, now);
      if (cut) {
        this.forget(entry);
        entry.onCut(cut);
        entry.breakOff(cut);
      }
    }
  }

  private verdict(entry: Entry, now: number): Cut | null {
    if (now >= entry.deadline) return { reason: 'deadline', text: `not complete within ${seconds(entry.deadlineMs)} s` };
    const bytes = entry.socket.bytesRead;
    if (entry.socket.isPaused() || entry.req.readableLength > 0) {
      // Berth is not reading: none of this time is the client's.
      entry.seen = bytes;
      entry.windowBase = bytes;
      entry.windowStart = now;
      entry.lastProgress = now;
      return null;
    }
    if (bytes !== entry.seen) {
      entry.seen = bytes;
      entry.lastProgress = now;
    }
    if (entry.idleMs > 0 && now - entry.lastProgress >= entry.idleMs) return { reason: 'idle', text: `no bytes for ${seconds(entry.idleMs)} s` };
    const { minBytes, intervalMs } = this.rules;
    if (minBytes > 0 && intervalMs > 0 && now - entry.windowStart >= intervalMs) {
      if (bytes - entry.windowBase < minBytes) return { reason: 'rate', text: `less than ${minBytes} bytes in ${seconds(intervalMs)} s` };
      entry.windowBase = bytes;
      entry.windowStart = now;
    }
    return null;
  }
}

/** Whether a request carries a body at all (chunked, or a non-zero Content-Length). */
export function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
