/** The only errors a storage driver throws, each naming the driver. Services map them to API errors. */
export type StorageErrorKind = 'not_found' | 'invalid_path' | 'unsupported' | 'driver_failure' | 'no_space';

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
