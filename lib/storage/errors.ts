/** The only errors a storage driver throws, each naming the driver. Services map them to API errors. */
export type StorageErrorKind = 'not_found' | 'invalid_path' | 'unsupported' | 'driver_failure' | 'no_space' | 'unavailable';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly kind: StorageErrorKind,
    readonly driver: string,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${driver}: ${message}${path ? ` (${path})` : ''}`, options);
  }
}

export const notFound = (driver: string, path: string) => new StorageError('not_found', driver, path, 'path not found');
export const invalidPath = (driver: string, path: string, why: string) => new StorageError('invalid_path', driver, path, `invalid path: ${why}`);
export const driverFailure = (driver: string, path: string, cause: unknown) =>
  new StorageError('driver_failure', driver, path, (cause as Error)?.message ?? String(cause), { cause });

export function isNotFound(err: unknown): boolean {
  return err instanceof StorageError && err.kind === 'not_found';
}

/** What a filesystem says when it cannot take more bytes: full, over quota, or over the file size limit (RLIMIT_FSIZE). */
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

export const noSpace = (driver: string, path: string, cause: unknown) =>
  new StorageError('no_space', driver, path, (cause as Error)?.message ?? String(cause), { cause });

/**
 * Storage ran out of space. Also true of the raw fs error a writer's stream fails with (it
 * reaches the caller's pipeline as it is, not through the driver), so a full disk is told
 * apart wherever it surfaces.
 */
export function isNoSpace(err: unknown): boolean {
  if (err instanceof StorageError) return err.kind === 'no_space';
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && NO_SPACE_CODES.has(code);
}

export const unavailable = (driver: string, path: string, cause: unknown) =>
  new StorageError('unavailable', driver, path, `unreachable: ${(cause as Error)?.message ?? String(cause)}`, { cause });

/** The backing store could not be reached (S3, Glance): the request may succeed once it is back. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof StorageError && err.kind === 'unavailable';
}

/**
 * Failures that say the store is not there right now, rather than that it refused the request:
 * no connection, a connection dropped or silent, or an HTTP 502/503/504 from it or a proxy in
 * front of it. Read from the error and its causes (fetch wraps the socket's error in `cause`).
 */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const UNAVAILABLE_STATUSES = new Set([502, 503, 504]);

export function isUnreachable(err: unknown, status?: number): boolean {
  if (status !== undefined && UNAVAILABLE_STATUSES.has(status)) return true;
  for (let e = err as (Error & { code?: unknown; cause?: unknown }) | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && UNREACHABLE_CODES.has(e.code)) return true;
    if (e.name === 'TimeoutError') return true;
    if (e instanceof StorageError) return e.kind === 'unavailable';
  }
  return false;
}
