/**
 * Mirror mode (`mirroring.source`; docker/docker-registry `docker_registry/lib/mirroring.py`): a
 * pull-through cache of another V1 registry. What is not here locally is asked of the source with
 * the client's own headers (so its `Authorization: Token …` goes along); image JSON, ancestry and
 * layers are kept, tags are passed through (and kept for tags_cache_ttl in the `cache` Redis, if
 * there is one), repository image lists are passed through. Local data always wins and is never
 * revalidated.
 *
 * A layer is streamed to the client while it is written to storage, and becomes visible only
 * once the last byte arrived: a download cut short stores nothing.
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RedisCache } from '../../cache/redis-cache.js';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../logging/logger.js';
import type { RepositoryName } from '../../names/v1.js';
import { exists, type StorageDriver } from '../../storage/driver.js';
import { v1 } from '../../storage/paths.js';

/**
 * Headers never passed on: hop-by-hop ones, what fetch decides for itself, and Range (what is
 * fetched is always the whole object, so that it can be kept).
 */
const DROP_REQUEST = new Set([
  'host',
  'location',
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'content-length',
  'transfer-encoding',
  'accept-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'range',
  'if-range',
]);
/** Upstream headers that are ours to set (CORS policy, request ids) or describe a transfer that is not ours. */
const DROP_RESPONSE = /^(content-encoding|content-length|content-range|transfer-encoding|connection|keep-alive|date|x-request-id|access-control-.*)$/;
/** The source must start answering within this time, and a small object must arrive within it. */
const SMALL_TIMEOUT_MS = 30_000;
/** A layer body may take as long as it needs, but not stall for longer than this. */
const LAYER_IDLE_MS = 60_000;

export interface Upstream {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

export interface MirrorRequest {
  /** the path on the source, built from validated parts (never the raw request path) */
  path: string;
  /** the query, as `?…`, or '' */
  search: string;
  headers: Record<string, string | string[] | undefined>;
}

export class Mirror {
  private readonly source: string;
  private readonly index: string;

  private readonly tagsTtl: number;

  constructor(
    settings: Readonly<Config['mirroring']>,
    private readonly storage: StorageDriver,
    private readonly log: Logger,
    /** the plain `cache` Redis: upstream tag answers are kept there for tags_cache_ttl */
    private readonly tagCache: { cache: RedisCache; storagePath: string | null } | null = null,
  ) {
    this.source = (settings.source ?? '').replace(/\/+$/, '');
    this.index = (settings.source_index ?? settings.source ?? '').replace(/\/+$/, '');
    this.tagsTtl = settings.tags_cache_ttl ?? 172800;
  }

  /**
   * Tags from the source, through the `cache` Redis when there is one, under docker-registry's
   * key (`cache_path:<storage_path>:<tag path>`), so a Python mirror sharing it agrees.
   */
  async tags(req: MirrorRequest, name: RepositoryName, tag?: string): Promise<{ headers: Record<string, string>; body: Buffer } | null> {
    let tagPath: string;
    try {
      tagPath = tag === undefined ? v1.repository(name.namespace, name.repository) : v1.tag(name.namespace, name.repository, tag);
    } catch {
      return null; // a name no storage path can hold: nothing to ask for
    }
    const key = this.tagCache ? `cache_path:${this.tagCache.storagePath ?? '/'}:${tagPath}` : null;
    if (key && this.tagCache) {
      const hit = await this.tagCache.cache.get(key);
      if (hit) return { headers: { 'content-type': 'application/json' }, body: hit };
    }
    const found = await this.fetchSmall(req);
    if (found && key && this.tagCache && this.tagsTtl > 0) await this.tagCache.cache.set(key, found.body, this.tagsTtl);
    return found;
  }

  /** The source's 200 answer for this request, or null (any other status, or no answer: the local 404 stands). */
  async fetch(req: MirrorRequest, from: 'source' | 'index' = 'source', kind: 'small' | 'layer' = 'small'): Promise<Upstream | null> {
    if (/[\\]|(^|\/)\.\.?(\/|$)/.test(req.path)) return null; // validated parts never hold these; refuse rather than resolve
    const url = `${from === 'index' ? this.index : this.source}${req.path}${req.search}`;
    const headers = new Headers();
    const named = new Set(
      String(req.headers.connection ?? '')
        .toLowerCase()
        .split(',')
        .map((h) => h.trim()),
    );
    for (const [name, value] of Object.entries(req.headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || DROP_REQUEST.has(lower) || named.has(lower)) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const controller = new AbortController();
    // A small object must arrive whole in time; a layer must only start in time (then: idle timeout).
    const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} in ${SMALL_TIMEOUT_MS / 1000} s`)), SMALL_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: controller.signal, redirect: 'follow' });
    } catch (err) {
      clearTimeout(timer);
      this.log.warn({ err, url }, 'mirror source did not answer');
      return null;
    }
    if (kind === 'layer') clearTimeout(timer);
    if (res.status !== 200 || !res.body) {
      clearTimeout(timer);
      await res.body?.cancel().catch(() => {});
      return null;
    }
    const out: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (!DROP_RESPONSE.test(name)) out[name] = value;
    });
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
    body.once('close', () => clearTimeout(timer));
    return { status: res.status, headers: out, body };
  }

  /** A small answer from the source, read whole (within the small timeout), or null. */
  async fetchSmall(req: MirrorRequest, from: 'source' | 'index' = 'source'): Promise<{ headers: Record<string, string>; body: Buffer } | null> {
    const upstream = await this.fetch(req, from);
    if (!upstream) return null;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of upstream.body) chunks.push(chunk as Buffer);
      return { headers: upstream.headers, body: Buffer.concat(chunks) };
    } catch (err) {
      this.log.warn({ err, path: req.path }, 'mirror source broke off its answer');
      return null;
    }
  }

  /**
   * `/v1/search` with the source index's results merged in, as docker-registry merged them:
   * upstream results after ours, a name they share taken from upstream. Ours alone when the
   * source has nothing usable to say.
   */
  async mergeSearch<T extends { results: Array<{ name: string }> }>(ours: T, req: MirrorRequest): Promise<T & { num_results: number }> {
    const upstream = await this.fetchSmall(req, 'index');
    const theirs = upstream ? parseJsonObject(upstream.body) : null;
    if (!theirs || !Array.isArray(theirs.results)) return { ...ours, num_results: ours.results.length };
    const byName = new Map<string, unknown>(ours.results.map((r) => [r.name, r]));
    for (const r of theirs.results) {
      if (r && typeof r === 'object' && typeof (r as { name?: unknown }).name === 'string') byName.set((r as { name: string }).name, r);
    }
    return { ...ours, num_results: byName.size, results: [...byName.values()] as T['results'] };
  }

  /** Image JSON or ancestry from the source, kept locally, unless something is there already (local data always wins). */
  async smallImageFile(req: MirrorRequest, id: string, file: 'json' | 'ancestry'): Promise<{ headers: Record<string, string>; body: Buffer } | null> {
    const target = file === 'json' ? v1.imageJson(id) : v1.imageAncestry(id);
    if (await exists(this.storage, target)) return null;
    const found = await this.fetchSmall(req);
    if (!found) return null;
    if (!(await exists(this.storage, target))) await this.storage.putContent(target, found.body);
    return found;
  }

  /**
   * A layer from the source: a stream for the client that also writes it to storage, kept only
   * if it arrives whole and nothing was there already. A failing write (a full disk) fails the
   * download too, rather than being left unheard.
   */
  async layer(req: MirrorRequest, id: string): Promise<Upstream | null> {
    if (await exists(this.storage, v1.imageLayer(id))) return null;
    const upstream = await this.fetch(req, 'source', 'layer');
    if (!upstream) return null;
    const writer = await this.storage.writer(v1.imageLayer(id));
    // The source may stall mid-body: no byte for LAYER_IDLE_MS ends the download (the tee
    // sees every chunk; a 'data' listener here would start the body before it is piped).
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => upstream.body.destroy(new Error(`mirror source: no layer data for ${LAYER_IDLE_MS / 1000} s`)), LAYER_IDLE_MS);
      idle.unref();
    };
    arm();
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        arm();
        if (writer.stream.write(chunk)) return cb(null, chunk);
        const settle = (err?: Error | null) => {
          writer.stream.off('drain', settle);
          writer.stream.off('error', settle);
          cb(err ?? null, err ? undefined : chunk);
        };
        writer.stream.once('drain', settle);
        writer.stream.once('error', settle);
      },
      flush(cb) {
        writer.stream.end();
        writer.commit().then(() => cb(), cb);
      },
    });
    writer.stream.on('error', (err) => tee.destroy(err));
    pipeline(upstream.body, tee)
      .finally(() => clearTimeout(idle))
      .catch(async (err) => {
        await writer.cancel().catch(() => {});
        this.log.warn({ err, id }, 'mirrored layer not kept: the download did not complete');
      });
    return { ...upstream, body: tee };
  }
}

function parseJsonObject(body: Buffer): { results?: unknown[] } | null {
  try {
    const doc = JSON.parse(body.toString('utf8'));
    return doc && typeof doc === 'object' ? doc : null;
  } catch {
    return null;
  }
}
