/**
 * Real HTTP/1.1 to a registry, plain or TLS with a CA of the test's own (fetch cannot be told
 * to trust one): keep-alive connections as clients hold them, bodies sent from a stream with
 * `Transfer-Encoding: chunked` as Docker sends layers, and large answers hashed as they
 * arrive instead of kept.
 */
import { createHash } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A socket that stays silent this long fails the request (no test waits on a hung peer). */
const IDLE_TIMEOUT_MS = 60_000;

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** the body, or empty when it was only hashed */
  body: Buffer;
  /** hex sha256 and length of the body as it arrived */
  sha256: string;
  size: number;
}

export interface SendOptions {
  headers?: Record<string, string>;
  /** a stream goes out chunked (no Content-Length); a Buffer or string with its length */
  body?: Buffer | string | Readable;
  /** hash the body without keeping it (layers) */
  discardBody?: boolean;
}

export interface RegistryConnection {
  /** `path` on the base URL, or an absolute URL (where an index sent the client) */
  send(method: string, path: string, options?: SendOptions): Promise<Answer>;
  close(): void;
}

/** Requests to `base` (`http://…` or `https://…`); `ca` is the only certificate https trusts. */
export function registryConnection(base: string, ca?: Buffer): RegistryConnection {
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  return {
    send(method, path, options = {}) {
      const url = new URL(path, base);
      const tls = url.protocol === 'https:';
      return new Promise<Answer>((resolve, reject) => {
        const req = (tls ? https : http).request(url, { method, headers: options.headers ?? {}, agent: tls ? httpsAgent : httpAgent }, (res) => {
          collect(res, options.discardBody ?? false).then(resolve, reject);
        });
        req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.href}: no traffic for ${IDLE_TIMEOUT_MS / 1000} s`)));
        req.on('error', reject);
        const body = options.body;
        if (body instanceof Readable) pipeline(body, req).catch(reject);
        else req.end(body);
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

async function collect(res: IncomingMessage, discard: boolean): Promise<Answer> {
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    if (!discard) chunks.push(chunk as Buffer);
  }
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), sha256: hash.digest('hex'), size };
}

/** `Authorization: Basic` for `user:password`. */
export function basicAuth(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
