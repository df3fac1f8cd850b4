/**
 * Mirror mode (spec v1 §8.1, `mirroring.source`): a pull-through cache of another V1
 * registry. What is not here locally is asked of the source with the client's own headers
 * (so its `Authorization: Token …` goes along); image JSON, ancestry and layers are kept,
 * tags and repository image lists are only passed through (docker-registry cached tags in
 * redis only). Local data always wins and is never revalidated.
 *
 * A layer is streamed to the client while it is written to storage, and becomes visible only
 * once the last byte arrived: a download cut short stores nothing.
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../logging/logger.js';
import type { StorageDriver } from '../../storage/driver.js';
import { v1 } from '../../storage/paths.js';

/** Headers never passed on: hop-by-hop ones, and what fetch decides for itself. */
const DROP_REQUEST = new Set(['host', 'location', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'accept-encoding', 'te', 'upgrade']);
const DROP_RESPONSE = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);
/** The source must start answering within this time; a body may then take as long as it needs. */
const HEADERS_TIMEOUT_MS = 30_000;

export interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

export interface MirrorRequest {
  path: string;
  search: string;
  headers: Record<string, string | string[] | undefined>;
}

export class Mirror {
  private readonly source: string;
  private readonly index: string;

  constructor(
    settings: Readonly<Config['mirroring']>,
    private readonly storage: StorageDriver,
    private readonly log: Logger,
  ) {
    this.source = (settings.source ?? '').replace(/\/+$/, '');
    this.index = (settings.source_index ?? settings.source ?? '').replace(/\/+$/, '');
  }

  /** The source's 200 answer for this request, or null (any other status, or no answer: the local 404 stands). */
  async fetch(req: MirrorRequest, from: 'source' | 'index' = 'source'): Promise<Upstream | null> {
    const url = `${from === 'index' ? this.index : this.source}${req.path}${req.search}`;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || DROP_REQUEST.has(name.toLowerCase())) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} in ${HEADERS_TIMEOUT_MS / 1000} s`)), HEADERS_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      this.log.warn({ err, url }, 'mirror source did not answer');
      return null;
    } finally {
      clearTimeout(timer);
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel().catch(() => {});
      return null;
    }
    const out: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (!DROP_RESPONSE.has(name)) out[name] = value;
    });
    return { status: res.status, headers: out, body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream) };
  }

  /** Image JSON or ancestry from the source, kept locally. */
  async smallImageFile(req: MirrorRequest, id: string, file: 'json' | 'ancestry'): Promise<{ headers: Record<string, string>; body: Buffer } | null> {
    const upstream = await this.fetch(req);
    if (!upstream) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of upstream.body) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    await this.storage.putContent(file === 'json' ? v1.imageJson(id) : v1.imageAncestry(id), body);
    return { headers: upstream.headers, body };
  }

  /** A layer from the source: a stream for the client that also writes it to storage, kept only if it arrives whole. */
  async layer(req: MirrorRequest, id: string): Promise<Upstream | null> {
    const upstream = await this.fetch(req);
    if (!upstream) return null;
    const writer = await this.storage.writer(v1.imageLayer(id));
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        if (writer.stream.write(chunk)) cb(null, chunk);
        else writer.stream.once('drain', () => cb(null, chunk));
      },
      flush(cb) {
        writer.stream.end();
        writer.commit().then(() => cb(), cb);
      },
    });
    pipeline(upstream.body, tee).catch(async (err) => {
      await writer.cancel();
      this.log.warn({ err, id }, 'mirrored layer not kept: the download did not complete');
    });
    return { ...upstream, body: tee };
  }
}
