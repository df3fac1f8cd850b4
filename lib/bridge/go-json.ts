/**
 * JSON documents as Go's encoding/json reads and writes them, for the bytes Docker derived from
 * V1 JSON and image configs (moby/moby image/v1/imagev1.go MakeConfigFromV1Config and
 * MakeV1ConfigFromConfig unmarshal into map[string]*json.RawMessage, edit the map, marshal it).
 *
 * Values are kept as raw byte spans, never parsed into JavaScript values and printed again:
 * `1.0` stays `1.0`, `1e3` stays `1e3`, nested key order and escapes stay as written. What
 * json.Marshal does to a RawMessage is json.Compact with HTML escaping (golang/go
 * src/encoding/json/indent.go appendCompact), and `compactRaw` does exactly that.
 *
 * The grammar accepted is Go's scanner's (src/encoding/json/scanner.go): RFC 8259 JSON, bytes
 * ≥ 0x80 inside strings taken as they are, nesting up to 10000 deep.
 */
import { goQuote, goUnquote } from './go-string.js';

export class GoJsonError extends Error {
  override readonly name = 'GoJsonError';
}

/** A member of an object: the decoded key and the value's raw bytes (a view of the input). */
export type RawEntry = readonly [key: string, raw: Buffer];

const MAX_DEPTH = 10_000; // scanner.go maxNestingDepth

const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number | undefined) => c !== undefined && c >= 0x30 && c <= 0x39;

function skipWs(b: Uint8Array, i: number): number {
  while (isWs(b[i])) i++;
  return i;
}

function fail(b: Uint8Array, i: number, what: string): never {
  throw new GoJsonError(i >= b.length ? `unexpected end of JSON input (${what})` : `invalid character at offset ${i} (${what})`);
}

function expect(b: Uint8Array, i: number, c: number, what: string): number {
  if (b[i] !== c) fail(b, i, what);
  return i + 1;
}

/** End of the string literal starting at `i`. */
function skipString(b: Uint8Array, i: number): number {
  i = expect(b, i, 0x22, 'expected a string');
  for (;;) {
    const c = b[i];
    if (c === undefined || c < 0x20) fail(b, i, 'in string literal');
    if (c === 0x22) return i + 1;
    if (c !== 0x5c) {
      i++;
      continue;
    }
    const e = b[i + 1];
    if (e === 0x75) {
      for (let k = 2; k < 6; k++) if (!/[0-9a-fA-F]/.test(String.fromCharCode(b[i + k] ?? 0))) fail(b, i + k, 'in \\u escape');
      i += 6;
    } else if (e !== undefined && '"\\/bfnrt'.includes(String.fromCharCode(e))) i += 2;
    else fail(b, i + 1, 'in string escape');
  }
}

function skipNumber(b: Uint8Array, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (isDigit(b[i])) while (isDigit(b[i])) i++;
  else fail(b, i, 'in numeric literal');
  if (b[i] === 0x2e) {
    if (!isDigit(b[++i])) fail(b, i, 'after decimal point');
    while (isDigit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    if (b[++i] === 0x2b || b[i] === 0x2d) i++;
    if (!isDigit(b[i])) fail(b, i, 'in exponent');
    while (isDigit(b[i])) i++;
  }
  return i;
}

const LITERALS = ['true', 'false', 'null'].map((w) => Buffer.from(w));

/**
 * End of the value starting at `i`, which sits `depth` containers deep: iterative, so deep
 * nesting cannot exhaust the call stack.
 */
function skipValue(b: Uint8Array, i: number, depth = 0): number {
  const closers: number[] = [];
  for (;;) {
    i = skipWs(b, i);
    const c = b[i];
    if (c === 0x7b || c === 0x5b) {
      if (depth + closers.length >= MAX_DEPTH) throw new GoJsonError(`exceeded max depth of ${MAX_DEPTH}`);
      const close = c + 2; // } and ] follow { and [ two code points later
      i = skipWs(b, i + 1);
      if (b[i] !== close) {
        closers.push(close);
        if (close === 0x7d) i = skipWs(b, expect(b, skipWs(b, skipString(b, i)), 0x3a, "after object key, expected ':'"));
        continue;
      }
      i++;
    } else if (c === 0x22) i = skipString(b, i);
    else if (c === 0x2d || isDigit(c)) i = skipNumber(b, i);
    else {
      const word = LITERALS.find((w) => Buffer.compare(w, b.subarray(i, i + w.length)) === 0);
      if (!word) fail(b, i, 'looking for beginning of value');
      i += word.length;
    }
    // A value has ended: close what it ends, or step to the next member.
    for (;;) {
      const close = closers.at(-1);
      if (close === undefined) return i;
      i = skipWs(b, i);
      if (b[i] === close) {
        closers.pop();
        i++;
      } else if (b[i] === 0x2c) {
        i = skipWs(b, i + 1);
        if (close === 0x7d) i = expect(b, skipWs(b, skipString(b, i)), 0x3a, "after object key, expected ':'");
        break;
      } else fail(b, i, `after value, expected ',' or '${String.fromCharCode(close)}'`);
    }
  }
}

/** Check that `b` is exactly one JSON value (whitespace around it allowed). */
export function validateJson(b: Uint8Array): void {
  if (skipWs(b, skipValue(b, 0)) !== b.length) fail(b, skipWs(b, skipValue(b, 0)), 'after top-level value');
}

/** The members of the object in `bytes`, in document order, duplicates included. */
export function parseObjectEntries(bytes: Buffer): RawEntry[] {
  return members(bytes, 0x7b);
}

/** The elements of the array in `bytes`, as raw byte spans. */
export function parseArrayElements(bytes: Buffer): Buffer[] {
  return members(bytes, 0x5b).map(([, raw]) => raw);
}

function members(b: Buffer, open: 0x7b | 0x5b): RawEntry[] {
  const kind = open === 0x7b ? 'object' : 'array';
  let i = skipWs(b, 0);
  if (b[i] !== open) {
    validateJson(b);
    throw new GoJsonError(`not a JSON ${kind}`);
  }
  const close = open + 2;
  const out: RawEntry[] = [];
  i = skipWs(b, i + 1);
  if (b[i] === close) i++;
  else
    for (;;) {
      let key = '';
      if (open === 0x7b) {
        const keyEnd = skipString(b, i);
        key = goUnquote(b.subarray(i, keyEnd));
        i = skipWs(b, expect(b, skipWs(b, keyEnd), 0x3a, "after object key, expected ':'"));
      }
      const end = skipValue(b, i, 1);
      out.push([key, b.subarray(i, end)]);
      i = skipWs(b, end);
      if (b[i] === 0x2c) i = skipWs(b, i + 1);
      else {
        i = expect(b, i, close, `after ${kind} element`);
        break;
      }
    }
  if (skipWs(b, i) !== b.length) fail(b, skipWs(b, i), 'after top-level value');
  return out;
}

/** What kind of value a raw span holds, by its first byte. */
export function rawKind(raw: Uint8Array): 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' {
  const c = raw[0];
  if (c === 0x7b) return 'object';
  if (c === 0x5b) return 'array';
  if (c === 0x22) return 'string';
  if (c === 0x6e) return 'null';
  if (c === 0x74 || c === 0x66) return 'boolean';
  return 'number';
}

/**
 * json.Compact with HTML escaping, as json.Marshal applies it to a RawMessage: whitespace
 * outside strings goes; string bytes stay as written, except `<`, `>`, `&` and U+2028/U+2029,
 * which are escaped. `raw` must be valid JSON.
 */
export function compactRaw(raw: Uint8Array): Buffer {
  const parts: Buffer[] = [];
  let start = 0;
  let inString = false;
  const src = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
  const cut = (i: number, insert?: string) => {
    if (start < i) parts.push(src.subarray(start, i));
    if (insert) parts.push(Buffer.from(insert, 'latin1'));
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      else if (c === 0x3c || c === 0x3e || c === 0x26) {
        cut(i, `\\u00${c.toString(16)}`);
        start = i + 1;
      } else if (c === 0xe2 && src[i + 1] === 0x80 && ((src[i + 2] ?? 0) & ~1) === 0xa8) {
        cut(i, `\\u202${((src[i + 2] as number) & 0xf).toString(16)}`);
        start = i + 3;
        i += 2;
      }
    } else if (c === 0x22) inString = true;
    else if (isWs(c)) {
      cut(i);
      start = i + 1;
    }
  }
  cut(src.length);
  return Buffer.concat(parts);
}

/**
 * An object as json.Marshal writes a Go map: keys sorted by their UTF-8 bytes, each value a
 * compacted RawMessage. A key given twice keeps its last value, as unmarshalling into a map does.
 */
export function marshalSortedObject(entries: Iterable<readonly [string, Uint8Array]>): Buffer {
  const map = new Map<string, Uint8Array>();
  for (const [k, v] of entries) map.set(k, v);
  const keys = [...map.keys()].map((k) => ({ k, bytes: Buffer.from(k, 'utf8') })).sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const parts: Buffer[] = [Buffer.from('{')];
  keys.forEach(({ k }, n) => {
    parts.push(Buffer.from(`${n === 0 ? '' : ','}${goQuote(k)}:`, 'utf8'), compactRaw(map.get(k) as Uint8Array));
  });
  parts.push(Buffer.from('}'));
  return Buffer.concat(parts);
}

/**
 * The value of a Go struct field named `name` when the object is unmarshalled into a struct:
 * keys match case-insensitively and the last matching key wins (src/encoding/json/decode.go
 * object, fold.go foldName). Besides ASCII letters, Go's folding maps four other code points
 * onto ASCII: K (Kelvin sign) to K, ſ (long s) to S, ı and İ to I.
 */
export function goField(entries: readonly RawEntry[], name: string): Buffer | undefined {
  const want = foldName(name);
  let hit: Buffer | undefined;
  for (const [k, v] of entries) if (k === name || foldName(k) === want) hit = v;
  return hit;
}

const SPECIAL_FOLDS: Record<string, string> = { '\u212a': 'K', '\u017f': 'S', '\u0131': 'I', '\u0130': 'I' };

function foldName(key: string): string {
  return key.replace(/[a-z\u212a\u017f\u0131\u0130]/g, (c) => SPECIAL_FOLDS[c] ?? c.toUpperCase());
}
