/**
 * `n`/`last` pagination of tags/list and _catalog, as distribution does it: entries strictly
 * after `last`, at most `n`, and a `Link` to the next page only when more remain (never for n=0).
 */
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';

export interface Page {
  items: string[];
  /** the query of the next page (`last=…&n=…`), when there is one */
  next: string | null;
}

export function parsePageSize(n: unknown): number | null {
  if (n === undefined) return null;
  if (typeof n !== 'string' || !/^\d+$/.test(n) || !Number.isSafeInteger(Number(n))) {
    throw new RegistryError(V2.PAGINATION_NUMBER_INVALID, { detail: { n } });
  }
  return Number(n);
}

/** `sorted` must be in ascending order. */
export function paginate(sorted: string[], n: number | null, last: string | undefined): Page {
  const from = last === undefined ? 0 : sorted.findIndex((item) => item > last);
  const rest = from < 0 ? [] : sorted.slice(from);
  if (n === null || rest.length <= n) return { items: n === 0 ? [] : rest, next: null };
  const items = rest.slice(0, n);
  return { items, next: n === 0 ? null : `last=${encodeURIComponent(items.at(-1) as string)}&n=${n}` };
}
