/**
 * JSON strings as Go's encoding/json reads and writes them (golang/go src/encoding/json
 * `encode.go` appendString, `decode.go` unquoteBytes, src/unicode/utf8 DecodeRune). The
 * bridge derives Docker configs and V1 JSON from stored bytes; the same input must give the
 * same bytes on every run and, where Docker computed them, the bytes Docker computed. So
 * strings are decoded and re-encoded the Go way, not JavaScript's:
 *
 * - `<`, `>`, `&` are written `\u003c`, `\u003e`, `\u0026` and U+2028/U+2029 `\u2028`/`\u2029`
 *   (json.Marshal's HTML escaping, on by default);
 * - invalid UTF-8 becomes U+FFFD one byte at a time, as utf8.DecodeRune reports it (a WHATWG
 *   decoder, i.e. Buffer#toString, folds a truncated sequence into one U+FFFD instead);
 * - a `\u` escape of a lone surrogate decodes to U+FFFD.
 *
 * Control characters other than \n, \r, \t are written `\u00XX`. That includes \b and \f:
 * Go 1.22 started writing those two as `\b`/`\f`, but every Docker engine that spoke V1
 * (Go 1.2–1.13) wrote `\u0008`/`\u000c`, and that is the output Berth must agree with.
 */

const HEX = '0123456789abcdef';

/**
 * Length of the UTF-8 sequence at `i` if it is valid, else 0 (utf8.DecodeRune's RuneError,
 * size 1): overlong forms, UTF-16 surrogates and code points above U+10FFFF are invalid.
 */
export function validRuneLength(b: Uint8Array, i: number): number {
  const c = b[i] ?? 0;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const [lo, hi] = c === 0xe0 ? [0xa0, 0xbf] : c === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const [lo, hi] = c === 0xf0 ? [0x90, 0xbf] : c === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** The JSON text (quotes included) Go's json.Marshal writes for a string; bytes are taken as a Go string holds them. */
export function goQuote(value: string | Uint8Array): string {
  const b = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '"';
  let start = 0; // start of the run of bytes copied as they are
  const flush = (end: number) => {
    if (start < end) out += Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8');
  };
  for (let i = 0; i < b.length; ) {
    const c = b[i] as number;
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x3c && c !== 0x3e && c !== 0x26) {
        i++;
        continue;
      }
      flush(i);
      if (c === 0x22 || c === 0x5c) out += `\\${String.fromCharCode(c)}`;
      else if (c === 0x0a) out += '\\n';
      else if (c === 0x0d) out += '\\r';
      else if (c === 0x09) out += '\\t';
      else out += `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
      start = ++i;
      continue;
    }
    const n = validRuneLength(b, i);
    if (n === 0) {
      flush(i);
      out += '\\ufffd';
      start = ++i;
      continue;
    }
    // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
    if (c === 0xe2 && b[i + 1] === 0x80 && ((b[i + 2] as number) & ~1) === 0xa8) {
      flush(i);
      out += `\\u202${HEX[(b[i + 2] as number) & 0xf]}`;
      start = i + 3;
    }
    i += n;
  }
  flush(b.length);
  return `${out}"`;
}

/**
 * The string a JSON string literal (quotes included, already checked by the scanner in
 * go-json.ts) stands for, decoded as Go's unquote decodes it.
 */
export function goUnquote(literal: Uint8Array): string {
  const b = literal;
  const end = b.length - 1;
  let out = '';
  let start = 1;
  const flush = (stop: number) => {
    if (start < stop) out += Buffer.from(b.buffer, b.byteOffset + start, stop - start).toString('utf8');
  };
  for (let i = 1; i < end; ) {
    const c = b[i] as number;
    if (c === 0x5c) {
      flush(i);
      const e = b[i + 1] as number;
      if (e === 0x75) {
        let r = hex4(b, i + 2);
        i += 6;
        if (r >= 0xd800 && r < 0xe000) {
          const low = b[i] === 0x5c && b[i + 1] === 0x75 ? hex4(b, i + 2) : -1;
          if (r < 0xdc00 && low >= 0xdc00 && low < 0xe000) {
            r = 0x10000 + ((r - 0xd800) << 10) + (low - 0xdc00);
            i += 6;
          } else r = 0xfffd;
        }
        out += String.fromCodePoint(r);
      } else {
        out += ESCAPES[e] ?? String.fromCharCode(e);
        i += 2;
      }
      start = i;
    } else if (c >= 0x80 && validRuneLength(b, i) === 0) {
      flush(i);
      out += '\ufffd';
      start = ++i;
    } else i += c < 0x80 ? 1 : validRuneLength(b, i);
  }
  flush(end);
  return out;
}

const ESCAPES: Record<number, string> = { 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t' };

function hex4(b: Uint8Array, i: number): number {
  const text = Buffer.from(b.buffer, b.byteOffset + i, 4).toString('latin1');
  return /^[0-9a-fA-F]{4}$/.test(text) ? Number.parseInt(text, 16) : -1;
}
