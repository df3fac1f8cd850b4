import type { CatalogEntry } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';

/** A small JSON request body, or the V1 400 that route used for bad JSON. */
export function parseJsonBody(body: Buffer, invalid: CatalogEntry): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError(invalid);
  }
}
