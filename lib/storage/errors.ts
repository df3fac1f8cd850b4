/** The only errors a storage driver throws, each naming the driver. Services map them to API errors. */
export type StorageErrorKind = 'not_found' | 'invalid_path' | 'unsupported' | 'driver_failure';

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
