/**
 * Byte ranges: the one parser for `Range` on reads (V1 layers, V2 blobs) and for
 * `Content-Range` on V2 chunk uploads.
 *
 * `Range` reads RFC 9110 single ranges; several ranges or another unit get the whole object
 * (a plain 200, which every client accepts). The end is clamped to the last byte; a start at
 * or past the end, or an end before the start, is unsatisfiable. Two dialects:
 * - V1 layers (docker-registry 0.6.8+ `images.py`, what Docker 1.x resumes with): only
 *   `bytes=N-` and `bytes=N-M`; other forms get the whole layer, as before.
 * - V2 blobs (the OCI conformance suite's range tests): also the suffix form `bytes=-N`, and
 *   an empty blob ignores Range (it has no byte to range over).
 */
import type { ChunkRange } from '../services/v2/upload-data.js';

export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

export interface RangeDialect {
  /** `bytes=-N`, the last N bytes */
  suffixes: boolean;
  /** an empty object ignores Range instead of being unsatisfiable */
  emptyIsFull: boolean;
}

export const V1_LAYER_RANGES: RangeDialect = { suffixes: false, emptyIsFull: false };
export const V2_BLOB_RANGES: RangeDialect = { suffixes: true, emptyIsFull: true };

export function parseRange(header: string | undefined, size: number, dialect: RangeDialect): RangeResult {
  if (!header || (dialect.emptyIsFull && size === 0)) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    if (!dialect.suffixes) return { kind: 'full' };
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** V2 blob `Range` (kept under its old name for the unit tests of the OCI forms). */
export function parseBlobRange(header: string | undefined, size: number): RangeResult {
  return parseRange(header, size, V2_BLOB_RANGES);
}

/**
 * A chunk's `Content-Range: <start>-<end>` (inclusive; distribution and the OCI spec write no
 * unit, old clients wrote `bytes `), optionally `/<total>` or `/*`. Null when it does not parse.
 */
export function parseContentRange(header: string): ChunkRange | null {
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  const range = m ? { start: Number(m[1]), end: Number(m[2]) } : null;
  if (!range || !Number.isSafeInteger(range.end) || range.end < range.start) return null;
  return range;
}
