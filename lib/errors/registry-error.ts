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

  constructor(
    entry: CatalogEntry,
    options: { message?: string; args?: readonly (string | number)[]; detail?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(options.message ?? fill(entry.message, options.args ?? []), options.cause === undefined ? undefined : { cause: options.cause });
    this.status = entry.status;
    this.code = entry.code;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}

/** A catalog message with each `%s` replaced by the next argument. */
function fill(message: string, args: readonly (string | number)[]): string {
  let i = 0;
  return args.length === 0 ? message : message.replace(/%s/g, () => String(args[i++] ?? ''));
}
