/**
 * `Range` on V1 layer GETs (spec v1 §1.6), done right while staying what Docker 1.x expects:
 * only `bytes=N-` and `bytes=N-M` are honoured (other forms are ignored, as before: a full
 * 200), the end is clamped to the last byte, and a start at or past the end is a 416 with
 * `Content-Range: bytes *\/S`, which Docker reads as a clean end of a resumed download.
 */
export type RangeResult = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseLayerRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: 'full' };
  const m = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: 'full' };
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/**
 * `Range` on V2 blob GETs: RFC 9110 single ranges, including the suffix form `bytes=-N`, as
 * the OCI conformance suite asks (`bytes=2000-5000` on a shorter blob is clamped; a start past
 * the end or an end before the start is 416). Several ranges, or another unit, get the whole blob.
 */
export function parseBlobRange(header: string | undefined, size: number): RangeResult {
  // An empty blob has no byte to range over: the whole (empty) blob, not a 416 a client may not expect.
  if (!header || size === 0) return { kind: 'full' };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}
