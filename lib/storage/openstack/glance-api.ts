/**
 * A small typed client for the Glance v2 images API (v1 is gone from current Glance): list by
 * property, create, JSON-patch properties, upload and download image data, delete.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Keystone } from './keystone.js';

const CALL_TIMEOUT_MS = 30_000;
const IDLE_TIMEOUT_MS = 120_000;

export interface GlanceImage {
  id: string;
  status: 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'deactivated' | 'uploading' | 'importing';
  size: number | null;
  created_at: string;
  updated_at: string;
  /** custom properties are top-level string fields in v2 */
  [property: string]: unknown;
}

export type PatchOp = { op: 'add' | 'replace'; path: string; value: string } | { op: 'remove'; path: string };

export class GlanceHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** a 404 on a call about one image: that image is missing (a 404 elsewhere is a wrong endpoint) */
    readonly imageMissing = false,
  ) {
    super(message);
  }
}

export class GlanceApi {
  private readonly url: string | null;

  constructor(
    url: string | null,
    private readonly keystone: Keystone | null,
  ) {
    // Old settings name the versioned root (…:9292/v1); the paths below carry /v2 themselves.
    this.url = url ? url.replace(/\/+$/, '').replace(/\/v\d+(\.\d+)?$/, '') : null;
  }

  /** Every image whose properties equal `filters` (follows pagination). */
  async list(filters: Record<string, string>, signal?: AbortSignal): Promise<GlanceImage[]> {
    const images: GlanceImage[] = [];
    let next: string | null = `/v2/images?${new URLSearchParams({ ...filters, limit: '200' })}`;
    while (next) {
      const page = (await (await this.request('GET', next, { signal })).json()) as { images: GlanceImage[]; next?: string };
      images.push(...page.images);
      next = page.next ?? null;
    }
    return images;
  }

  async get(id: string, signal?: AbortSignal): Promise<GlanceImage> {
    return (await (await this.request('GET', `/v2/images/${id}`, { signal, perImage: true })).json()) as GlanceImage;
  }

  async create(fields: Record<string, string>, signal?: AbortSignal): Promise<GlanceImage> {
    const res = await this.request('POST', '/v2/images', { json: { disk_format: 'raw', container_format: 'docker', ...fields }, signal });
    return (await res.json()) as GlanceImage;
  }

  async patch(id: string, ops: PatchOp[], signal?: AbortSignal): Promise<GlanceImage> {
    const res = await this.request('PATCH', `/v2/images/${id}`, {
      body: JSON.stringify(ops),
      headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' },
      signal,
      perImage: true,
    });
    return (await res.json()) as GlanceImage;
  }

  /** Upload the image data, streamed (chunked) with back-pressure. */
  async upload(id: string, data: Readable, signal?: AbortSignal): Promise<void> {
    const res = await this.stream('PUT', `/v2/images/${id}/file`, { 'Content-Type': 'application/octet-stream' }, data, signal);
    res.resume();
  }

  /** The image data, from `offset` for `length` bytes, streamed. */
  async download(id: string, offset: number, length: number | undefined, signal?: AbortSignal): Promise<Readable> {
    const range = offset > 0 || length !== undefined ? `bytes=${offset}-${length === undefined ? '' : offset + length - 1}` : null;
    const res = await this.stream('GET', `/v2/images/${id}/file`, range ? { Range: range } : {}, null, signal);
    if (res.statusCode === 204) {
      res.resume();
      return Readable.from([]);
    }
    if (range && res.statusCode !== 206) {
      // A Glance (or proxy) that ignores Range sends the whole image: never pass that off as the range.
      res.destroy();
      throw new GlanceHttpError(res.statusCode ?? 0, `glance ignored the Range header (HTTP ${res.statusCode} instead of 206)`);
    }
    return res;
  }

  /**
   * Image data goes through node:http rather than fetch: on Node 20, a web stream bridged
   * to or from a Node stream does not hold back-pressure, and a 1 GiB layer ended up in memory.
   */
  private async stream(method: string, path: string, headers: Record<string, string>, body: Readable | null, signal?: AbortSignal): Promise<IncomingMessage> {
    const { base, token } = await this.endpoint(signal);
    const url = new URL(base + path);
    if (token) headers['X-Auth-Token'] = token;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? https : http).request(url, { method, headers, ...(signal ? { signal } : {}) }, (res) => {
        res.setTimeout(IDLE_TIMEOUT_MS, () => res.destroy(new Error(`glance ${method} ${path}: no data for ${IDLE_TIMEOUT_MS / 1000} s`)));
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve(res);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c.length < 200 ? c : ''));
        res.on('end', () =>
          reject(new GlanceHttpError(status, `glance ${method} ${path}: HTTP ${status} ${text.slice(0, 200).replace(/\s+/g, ' ')}`, status === 404)),
        );
      });
      req.on('error', reject);
      req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`glance ${method} ${path}: no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
      if (body) pipeline(body, req).catch((err) => req.destroy(err));
      else req.end();
    });
  }

  async delete(id: string, signal?: AbortSignal): Promise<void> {
    await this.request('DELETE', `/v2/images/${id}`, { signal, perImage: true });
  }

  private async endpoint(signal?: AbortSignal): Promise<{ base: string; token: string | null }> {
    const auth = this.keystone ? await this.keystone.auth(signal) : null;
    const base = (this.url ?? auth?.glanceUrl ?? '').replace(/\/+$/, '');
    if (!base) throw new Error('no Glance endpoint: set glance_url (OS_GLANCE_URL) or a Keystone catalog with an image service');
    return { base, token: auth?.token ?? null };
  }

  private async request(
    method: string,
    path: string,
    o: { json?: unknown; body?: string; headers?: Record<string, string>; signal?: AbortSignal | undefined; perImage?: boolean },
    retried = false,
  ): Promise<Response> {
    const { base, token } = await this.endpoint(o.signal);
    const headers: Record<string, string> = { ...o.headers };
    if (token) headers['X-Auth-Token'] = token;
    let body = o.body;
    if (o.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(o.json);
    }
    // Metadata calls are small: a Glance that does not answer within the limit is failing.
    const timeout = AbortSignal.timeout(CALL_TIMEOUT_MS);
    const res = await fetch(base + path, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
    } as RequestInit);
    if (res.status === 401 && this.keystone && !retried) {
      // A revoked or expired token: get a new one once, instead of failing until the cache expires.
      this.keystone.invalidate();
      return this.request(method, path, o, true);
    }
    if (res.status >= 300) {
      const text = await res.text().catch(() => '');
      throw new GlanceHttpError(
        res.status,
        `glance ${method} ${path.split('?')[0]}: HTTP ${res.status} ${text.slice(0, 200).replace(/\s+/g, ' ')}`,
        Boolean(o.perImage) && res.status === 404,
      );
    }
    return res;
  }
}
