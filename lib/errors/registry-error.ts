/**
 * The one error type of Berth. It carries its HTTP status (Koa reads `status` and `expose`),
 * a stable code from the catalog, and optional detail and headers; the error middleware
 * renders it in the envelope of the API family that the request belongs to.
 */
import type { CatalogEntry } from './catalog.js';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly status: number;
  readonly code: string;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** Koa: the message may be shown to the client */
  readonly expose = true;

  constructor(entry: CatalogEntry, options: { message?: string; detail?: unknown; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = entry.status;
    this.code = entry.code;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}

/** A V1-style error: docker-registry's `api_error(message, code)`. */
export function v1Error(status: number, message: string, headers?: Record<string, string>): RegistryError {
  return new RegistryError({ status, code: `V1_${status}`, message }, headers ? { headers } : {});
}
