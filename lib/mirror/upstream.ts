/**
 * The V2 registry a pull-through cache follows, as a Docker client talks to it (distribution's
 * `registry/client/auth/session.go`): a request goes out with the token cached for its scope, or
 * none; a 401 with `WWW-Authenticate: Bearer realm,service,scope` sends us to the realm for a
 * token (with mirroring.username / password as basic credentials, when set), kept per scope
 * until shortly before it expires; a `Basic` challenge is answered with the credentials. The
 * credentials and tokens stay in here: nothing this module logs or throws carries them.
 */
import type { Logger } from '../logging/logger.js';
import { parseChallenges } from './challenge.js';
import { UpstreamUnavailable } from './upstream-errors.js';

export interface UpstreamSettings {
  /** the registry's base URL (`https://registry-1.docker.io`); userinfo in it is taken as the credentials */
  source: string;
  username: string | null;
  password: string | null;
}

export interface UpstreamRequest {
  method: 'GET' | 'HEAD';
  /** `/v2/…`, built from validated names */
  path: string;
  /** `repository:<name>:pull` */
  scope: string;
  accept?: string[];
  signal?: AbortSignal;
}

/** The upstream must start answering within this time. */
const ANSWER_TIMEOUT_MS = 30_000;
/** A token is dropped this long before it expires, so that none goes out stale. */
const TOKEN_MARGIN_MS = 10_000;
/** distribution's default when a token answer gives no expires_in (docs/spec/auth/token.md) */
const DEFAULT_TOKEN_SECONDS = 60;

interface CachedToken {
  token: string;
  expires: number;
}

export class V2Upstream {
  readonly base: string;
  /** the base URL as it may be shown: without userinfo */
  readonly shown: string;
  private readonly basic: string | null;
  private readonly tokens = new Map<string, CachedToken>();
  /** the token server the upstream last sent us to */
  private realm: { realm: string; service: string | null } | null = null;

  constructor(
    settings: UpstreamSettings,
    private readonly log: Logger,
  ) {
    const url = new URL(settings.source);
    const user = settings.username ?? (url.username ? decodeURIComponent(url.username) : null);
    const password = settings.password ?? (url.password ? decodeURIComponent(url.password) : null);
    url.username = '';
    url.password = '';
    this.base = url.href.replace(/\/+$/, '');
    this.shown = this.base;
    this.basic = user !== null ? `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` : null;
  }

  /**
   * The upstream's answer (any status; the caller reads or cancels the body). Throws
   * UpstreamUnavailable when it cannot be reached or does not answer in time.
   */
  async request(req: UpstreamRequest): Promise<Response> {
    // A token realm seen once serves every scope: a new scope asks it first rather than be refused once more.
    const known = this.realm;
    const cached = this.cachedToken(req.scope) ?? (known && req.scope ? await this.fetchToken(known.realm, known.service, req.scope, req.signal) : null);
    let res = await this.send(req, cached ? `Bearer ${cached}` : null);
    // A request for no repository (the protocol check) takes the 401 as its answer.
    if (res.status !== 401 || !req.scope) return res;
    const challenges = parseChallenges(res.headers.get('www-authenticate'));
    await res.body?.cancel().catch(() => {});
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    if (bearer) {
      this.realm = { realm: bearer.params.realm as string, service: bearer.params.service ?? null };
      const token = await this.fetchToken(bearer.params.realm as string, bearer.params.service ?? null, req.scope, req.signal);
      res = await this.send(req, token ? `Bearer ${token}` : null);
    } else if (challenges.some((c) => c.scheme === 'basic') && this.basic) {
      res = await this.send(req, this.basic);
    } else {
      res = await this.send(req, null);
    }
    return res;
  }

  private cachedToken(scope: string): string | null {
    const hit = this.tokens.get(scope);
    if (!hit) return null;
    if (hit.expires - TOKEN_MARGIN_MS > Date.now()) return hit.token;
    this.tokens.delete(scope);
    return null;
  }

  /** A token for `scope` from the realm the challenge named, kept until it expires; null when the realm gives none. */
  private async fetchToken(realm: string, service: string | null, scope: string, signal?: AbortSignal): Promise<string | null> {
    const url = new URL(realm, this.base);
    if (service) url.searchParams.set('service', service);
    url.searchParams.set('scope', scope);
    const res = await this.timed(url.href, { headers: this.basic ? { Authorization: this.basic } : {} }, signal);
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      this.log.warn({ realm: url.origin + url.pathname, status: res.status, scope }, 'mirror: the upstream token server gave no token');
      return null;
    }
    const doc = (await res.json().catch(() => null)) as { token?: unknown; access_token?: unknown; expires_in?: unknown } | null;
    const token = typeof doc?.token === 'string' ? doc.token : typeof doc?.access_token === 'string' ? doc.access_token : null;
    if (!token) return null;
    const seconds = typeof doc?.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : DEFAULT_TOKEN_SECONDS;
    if (this.tokens.size > 10_000) this.tokens.clear();
    this.tokens.set(scope, { token, expires: Date.now() + seconds * 1000 });
    return token;
  }

  private send(req: UpstreamRequest, authorization: string | null): Promise<Response> {
    const headers: Record<string, string> = {};
    if (authorization) headers.Authorization = authorization;
    if (req.accept) headers.Accept = req.accept.join(', ');
    return this.timed(`${this.base}${req.path}`, { method: req.method, headers }, req.signal);
  }

  /** fetch() that must get an answer's headers within ANSWER_TIMEOUT_MS; the body may take as long as it flows. */
  private async timed(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('no answer in time')), ANSWER_TIMEOUT_MS);
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await fetch(url, { ...init, redirect: 'follow', signal: controller.signal });
    } catch (err) {
      signal?.removeEventListener('abort', onAbort);
      // Only the URL without userinfo and query is named (a token server's query holds the scope only, but still).
      const where = new URL(url);
      throw new UpstreamUnavailable(`${where.origin}${where.pathname}`, err instanceof Error ? err.message : String(err));
    } finally {
      clearTimeout(timer);
    }
  }
}
