/**
 * HTTP/1.1 over a bare TCP socket: the request goes out byte for byte as given (no client
 * normalises `%2e%2e`, checks a method, or fixes a Content-Length), and the responses that
 * come back, several when the bytes hold several requests, are read until the server closes.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawExchange {
  responses: RawResponse[];
  /** closed: the server closed the connection; timeout: it did not within the time given (then we did) */
  end: 'closed' | 'timeout' | 'error';
  error?: string;
  /** bytes after the last response that did not parse as one */
  trailing: number;
}

export interface RawOptions {
  /**
   * Send FIN (a client that stops sending) this many ms after the bytes, or as soon as an answer
   * starts, whichever is first; absent: wait for the server to close (send `Connection: close`).
   * Node aborts what is in flight on a connection whose client ended, so a FIN sent at once
   * would cut the very request it follows.
   */
  finAfterMs?: number;
  timeoutMs?: number;
  /** methods of the requests in the bytes, in order: a response to HEAD has no body */
  methods?: readonly string[];
}

export function rawExchange(port: number, bytes: Buffer, options: RawOptions = {}): Promise<RawExchange> {
  const { finAfterMs, timeoutMs = 10_000, methods = [] } = options;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(port, '127.0.0.1');
    const finish = (end: RawExchange['end'], error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(fin);
      socket.destroy();
      const { responses, trailing } = parseResponses(Buffer.concat(chunks), methods);
      resolve({ responses, end, trailing, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    let fin: NodeJS.Timeout | undefined;
    const sendFin = () => {
      clearTimeout(fin);
      if (!socket.destroyed && !socket.writableEnded) socket.end();
    };
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (finAfterMs !== undefined) sendFin();
    });
    socket.on('end', () => finish('closed'));
    socket.on('close', () => finish('closed'));
    // The server may reset a connection it refused; what it answered before that still counts.
    socket.on('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'closed' : 'error', err.message));
    socket.on('connect', () => {
      socket.write(bytes);
      if (finAfterMs !== undefined) fin = setTimeout(sendFin, finAfterMs);
    });
  });
}

/** The responses in `data`, in order, as far as they parse. */
export function parseResponses(data: Buffer, methods: readonly string[]): { responses: RawResponse[]; trailing: number } {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const lines = data.subarray(at, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (!m) break;
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    at = headEnd + 4;
    const method = methods[responses.length] ?? 'GET';
    const noBody = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    let body: Buffer = Buffer.alloc(0);
    if (!noBody) {
      if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
        const parts: Buffer[] = [];
        for (;;) {
          const lineEnd = data.indexOf('\r\n', at);
          if (lineEnd < 0) return { responses, trailing: data.length - at };
          const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
          at = lineEnd + 2;
          if (!(size > 0)) {
            const trailerEnd = data.indexOf('\r\n', at);
            at = trailerEnd < 0 ? data.length : trailerEnd + 2;
            break;
          }
          parts.push(data.subarray(at, at + size));
          at += size + 2;
        }
        body = Buffer.concat(parts);
      } else if (headers['content-length'] !== undefined) {
        const n = Number(headers['content-length']);
        body = data.subarray(at, at + n);
        at += n;
      } else {
        body = data.subarray(at);
        at = data.length;
      }
    }
    if (status !== 100) responses.push({ status, headers, body });
  }
  return { responses, trailing: data.length - at };
}
