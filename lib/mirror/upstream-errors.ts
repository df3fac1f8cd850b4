/**
 * What the upstream's answers mean to our clients: its errors become ours (NAME_UNKNOWN,
 * MANIFEST_UNKNOWN, BLOB_UNKNOWN, TOOMANYREQUESTS, UNAUTHORIZED with our own challenge, never
 * the upstream's), and an upstream that is down or rate-limiting is told apart, since cached
 * content is served then, with a `Warning` header, rather than an error.
 */
import { V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';

/** The upstream could not be reached, or did not answer in time. */
export class UpstreamUnavailable extends Error {
  override readonly name = 'UpstreamUnavailable';
  constructor(where: string, why: string) {
    super(`upstream ${where} did not answer: ${why}`);
  }
}

/** The upstream answered, but not with what was asked: its status, for the caller to map. */
export class UpstreamRefused extends Error {
  override readonly name = 'UpstreamRefused';
  constructor(
    readonly status: number,
    /** the upstream's first V2 error code, if its body had one */
    readonly code: string | null,
    readonly retryAfter: string | null,
  ) {
    super(`upstream answered ${status}${code ? ` ${code}` : ''}`);
  }
}

/** Cached content stands in for the upstream's answer: it is down, rate-limiting, or failing. */
export function servesStale(err: unknown): boolean {
  return err instanceof UpstreamUnavailable || (err instanceof UpstreamRefused && (err.status === 429 || err.status >= 500));
}

/** RFC 7234 §5.5: 110 "Response is Stale"; what clients show when a mirror serves without its upstream. */
export function staleWarning(err: unknown): string {
  const why = err instanceof UpstreamRefused && err.status === 429 ? 'upstream rate-limited' : 'upstream unavailable';
  return `110 berth "Response is Stale: ${why}"`;
}

/** An upstream answer that is not a 2xx, read into an UpstreamRefused (the body is consumed). */
export async function refusal(res: Response): Promise<UpstreamRefused> {
  let code: string | null = null;
  if (res.status >= 400 && res.status < 500 && res.status !== 429) {
    const doc = (await res.json().catch(() => null)) as { errors?: Array<{ code?: unknown }> } | null;
    const first = doc?.errors?.[0]?.code;
    code = typeof first === 'string' ? first : null;
  } else {
    await res.body?.cancel().catch(() => {});
  }
  return new UpstreamRefused(res.status, code, res.headers.get('retry-after'));
}

export type Missing = 'manifest' | 'blob' | 'repository';

/**
 * The error our client gets for what the upstream could not give. `what` names the object
 * (a repository and reference, or a digest); `notFound` is the 404 of the object's kind.
 */
export function clientError(err: unknown, what: string, notFound: () => RegistryError): RegistryError {
  if (err instanceof RegistryError) return err;
  if (err instanceof UpstreamRefused) {
    if (err.status === 404) return err.code === 'NAME_UNKNOWN' ? new RegistryError(V2.NAME_UNKNOWN, { detail: { name: what } }) : notFound();
    if (err.status === 429) return new RegistryError(V2.MIRROR_UPSTREAM_LIMITED, err.retryAfter ? { headers: { 'Retry-After': err.retryAfter } } : {});
    // Our client's own credentials are not the upstream's: a challenge of ours, so a client asks us, not them.
    if (err.status === 401 || err.status === 403)
      return new RegistryError(V2.MIRROR_UPSTREAM_DENIED, { args: [what], headers: { 'WWW-Authenticate': 'Basic realm="Berth mirror"' } });
    return new RegistryError(V2.MIRROR_UPSTREAM_DOWN, { args: [what] });
  }
  if (err instanceof UpstreamUnavailable) return new RegistryError(V2.MIRROR_UPSTREAM_DOWN, { args: [what] });
  throw err;
}
