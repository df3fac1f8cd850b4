/**
 * HTTP/1.1 written by hand on a socket, for what fetch cannot do: send a body slowly, hold a
 * connection open without a request, and tell an answer from a connection closed unanswered.
 */
import net from 'node:net';

export interface RawAnswer {
  /** the first response's status; null when the server closed without answering */
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** the server closed the connection (rather than the test giving up) */
  closed: boolean;
  /** milliseconds from the first byte sent to the close (or to giving up) */
  ms: number;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** sent right after the headers */
  body?: Buffer | string;
  /** then `bytes` more every `everyMs`, until the server answers or closes */
  trickle?: { bytes: number; everyMs: number };
  /** stop waiting (and close) after this long */
  giveUpMs?: number;
  /** resolve at the first complete answer instead of waiting for the close */
  untilAnswer?: boolean;
  /** send nothing at all: a connection left idle */
  silent?: boolean;
  /** the local address to connect from (another loopback address is another client) */
  from?: string;
}

/** Send one request on a new connection to `base` and read what comes back until the server closes. */
export function rawRequest(base: string, request: RawRequest): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = net.connect({ port: Number(port), host: hostname, ...(request.from ? { localAddress: request.from } : {}) });
    const started = Date.now();
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ ...parseAnswer(received), closed, ms: Date.now() - started });
    };
    const giveUp = setTimeout(() => finish(false), request.giveUpMs ?? 15_000);
    socket.on('connect', () => {
      if (request.silent) return;
      const headers: Record<string, string> = { Host: `${hostname}:${port}`, ...request.headers };
      socket.write(
        `${request.method} ${request.path} HTTP/1.1\r\n${Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
      );
      if (request.body !== undefined) socket.write(request.body);
      // Never past a declared Content-Length: bytes beyond it would be the next request's.
      let left = Number(headers['Content-Length'] ?? Number.POSITIVE_INFINITY) - Buffer.byteLength(request.body ?? '');
      const trickle = request.trickle;
      if (trickle) {
        timer = setInterval(() => {
          const n = Math.min(trickle.bytes, left);
          if (n > 0 && socket.writable) socket.write(Buffer.alloc(n, 0x20));
          left -= n;
        }, trickle.everyMs);
      }
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (request.untilAnswer && parseAnswer(received).complete) finish(false);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
  });
}

/** The first response in `text`, as far as it arrived. */
function parseAnswer(text: string): Omit<RawAnswer, 'closed' | 'ms'> & { complete: boolean } {
  const end = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
  if (end < 0 || !status) return { status: null, headers: {}, body: '', complete: false };
  const headers: Record<string, string> = {};
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = text.slice(end + 4, end + 4 + length);
  return { status: Number(status[1]), headers, body, complete: body.length === length };
}

/** Connections that stay open, each having had one ping answered (so the server has accepted it). */
export async function heldConnections(base: string, n: number): Promise<net.Socket[]> {
  const { hostname, port } = new URL(base);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    sockets.push(
      await new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname, () => socket.write(`GET /v1/_ping HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`));
        socket.once('data', () => resolve(socket));
        socket.once('error', reject);
      }),
    );
  }
  return sockets;
}
