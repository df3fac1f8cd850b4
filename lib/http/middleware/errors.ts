/**
 * The single catch-all. A RegistryError (or any error Koa marks as exposable) becomes the
 * envelope of the request's API family with its status. So does a key the storage layer
 * refused as invalid: it was built from the request (a name no check caught), so it is the
 * client's 400, or for a GET, HEAD or DELETE the 404 of something that cannot exist, logged
 * as a warning for the check that should have caught it. Storage that is full answers 507
 * (logged, no mail): nothing was stored, and the client may retry once space is freed. A
 * store that cannot be reached (S3, Glance) answers 503 with Retry-After, no mail, and is
 * logged once per outage by lib/storage/outage.ts, not once per request. A process out of file
 * descriptors (EMFILE, ENFILE, wherever it surfaced) is a passing condition, not a bug: 503
 * with Retry-After, logged as a warning. Anything else is unexpected: 500,
 * logged with its stack, and reported to the exception mailer after the response. A client
 * that hung up is not an error at all (499, info). An unknown route is a JSON 404 in the
 * family's envelope.
 */
import type { Socket } from 'node:net';
import type { Context, Middleware } from 'koa';
import { GENERIC } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';
import { pyJson } from '../../formats/py-json.js';
import type { Metrics } from '../../metrics/registry.js';
import type { ExceptionMailer } from '../../notify/exception-mailer.js';
import { isNoSpace, isUnavailable, StorageError } from '../../storage/errors.js';
import { familyOf, type RequestState } from '../state.js';
import { V1_NO_CACHE_HEADERS } from '../v1-response.js';

/** How long a client is asked to wait when storage cannot be reached (the S3 client already retried). */
const STORAGE_RETRY_AFTER_SECONDS = 10;

export function errorHandler(metrics: Metrics, mailer: ExceptionMailer | null): Middleware<RequestState> {
  return async (ctx, next) => {
    // Taken now: a stream pipeline that fails destroys the request it reads and takes its socket.
    const socket = ctx.req.socket;
    try {
      await next();
      // Nothing answered: an unknown route, or a known one with the wrong method (the router set Allow).
      if (ctx.body == null && ctx.status === 404) {
        throw new RegistryError(GENERIC.NOT_FOUND, { detail: { method: ctx.method, path: ctx.path } });
      }
      // A method the router does not know at all (PROPFIND, TRACE) is its 501: that is no
      // failure of the server, so it is answered as any other wrong method on the path (405, as
      // docker-registry's Flask and registry:2 answer it), or 404 where no route has that path.
      if (ctx.body == null && ctx.status === 501 && !ctx.response.get('Allow')) {
        throw new RegistryError(GENERIC.NOT_FOUND, { detail: { method: ctx.method, path: ctx.path } });
      }
      if (ctx.body == null && (ctx.status === 405 || ctx.status === 501)) {
        throw new RegistryError(GENERIC.METHOD_NOT_ALLOWED, { detail: { method: ctx.method, allow: ctx.response.get('Allow') } });
      }
    } catch (thrown) {
      const err = thrown instanceof Error ? thrown : new Error(String(thrown));
      if (isClientGone(socket)) {
        ctx.state.log?.info({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'client went away');
        ctx.status = 499;
        return;
      }
      if (ctx.headerSent) {
        // Too late for a status: cut the connection so the client sees a truncated body, not a complete one.
        metrics.streamsAborted.inc();
        ctx.state.log?.error({ err }, 'response failed after headers were sent');
        ctx.req.socket.destroy(err);
        return;
      }
      if (isNoSpace(err)) {
        // The operator's problem, not a bug: logged for them, no exception mail.
        ctx.state.log?.error({ err: err.message, method: ctx.method, path: ctx.path }, 'storage is full');
        return render(ctx, new RegistryError(GENERIC.INSUFFICIENT_STORAGE));
      }
      if (isUnavailable(err)) {
        return render(ctx, new RegistryError(GENERIC.STORAGE_UNAVAILABLE, { headers: { 'Retry-After': String(STORAGE_RETRY_AFTER_SECONDS) } }));
      }
      let known = toRegistryError(err, ctx.method);
      if (err instanceof StorageError && known) ctx.state.log?.warn({ err: err.message }, 'storage refused a key built from the request');
      if (!known && outOfDescriptors(err)) {
        metrics.limits.inc({ limit: 'descriptors' });
        ctx.state.log?.warn({ err: err.message, method: ctx.method, path: ctx.path }, 'out of file descriptors; answered 503');
        known = new RegistryError(GENERIC.OUT_OF_DESCRIPTORS, { headers: { 'Retry-After': '5' } });
      }
      if (!known) {
        ctx.state.log?.error({ err, method: ctx.method, path: ctx.path }, 'unexpected error');
        const reqId = ctx.state.reqId ?? '';
        // After the response has gone out, so the mail never delays or changes it.
        if (mailer) ctx.res.once('close', () => mailer.report({ method: ctx.method, path: ctx.path, requestId: reqId, error: err }));
      }
      render(ctx, known ?? new RegistryError(GENERIC.UNKNOWN, { detail: { requestId: ctx.state.reqId } }));
    }
  };
}

function render(ctx: Context & { state: Partial<RequestState> }, err: RegistryError): void {
  ctx.status = err.status;
  ctx.set(err.headers);
  ctx.type = 'application/json';
  if (familyOf(ctx.state, ctx.path) === 'v2') {
    const entry: Record<string, unknown> = { code: err.code, message: err.message };
    if (err.detail !== undefined) entry.detail = err.detail;
    ctx.body = JSON.stringify({ errors: [entry] });
  } else {
    ctx.set(V1_NO_CACHE_HEADERS);
    ctx.body = pyJson({ error: err.message });
  }
}

/** Requests that address something already stored: a key that cannot be stored names nothing. */
const LOOKUPS = new Set(['GET', 'HEAD', 'DELETE']);

/** Koa's own errors (http-errors: bad JSON, 405 from the router) keep their status and message; an invalid storage key is 400/404. */
function toRegistryError(err: Error, method: string): RegistryError | null {
  if (err instanceof RegistryError) return err;
  if (err instanceof StorageError && err.kind === 'invalid_path') return new RegistryError(LOOKUPS.has(method) ? GENERIC.NOT_FOUND : GENERIC.BAD_REQUEST);
  const httpErr = err as Error & { status?: number; expose?: boolean; headers?: Record<string, string> };
  if (typeof httpErr.status === 'number' && httpErr.status >= 400 && httpErr.status < 500 && httpErr.expose) {
    return new RegistryError(
      { status: httpErr.status, code: httpErr.status === 405 ? 'UNSUPPORTED' : 'BAD_REQUEST', message: httpErr.message },
      httpErr.headers ? { headers: httpErr.headers } : {},
    );
  }
  return null;
}

const DESCRIPTORS_OUT = new Set(['EMFILE', 'ENFILE']);

/** EMFILE or ENFILE, on the error or a cause behind it (a storage error wraps the system's). */
function outOfDescriptors(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (DESCRIPTORS_OUT.has((e as NodeJS.ErrnoException).code ?? '')) return true;
  }
  return false;
}

/**
 * The client went away when its connection did: closed, reset, or cut by the upload idle
 * timeout. Not when the request stream was destroyed, nor because the error says ECONNRESET or
 * 'aborted': a storage pipeline that fails destroys the request it reads (and an S3 or Glance
 * connection can be reset too), and that is the server's failure, with a client still there.
 */
function isClientGone(socket: Socket | null): boolean {
  return socket === null || socket.destroyed || !socket.writable;
}
