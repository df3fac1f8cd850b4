/**
 * Values for the parts of a request path: the real ones the server holds (seeded by the test),
 * fresh well-formed ones it does not, and hostile ones: path tricks (`..`, `%2e%2e`, `%00`,
 * double encoding, overlong UTF-8, backslashes, unicode), overlong and malformed names, tags,
 * ids, digests and upload ids. Every value is written as it goes into the request target:
 * percent-encoded where a client would encode, raw where the trick is the raw byte.
 */
import type { Random } from './random.js';

/** Known-good values by route parameter (`*name`, `:digest`, ...); a parameter not listed gets generic values. */
export type Pools = Readonly<Record<string, readonly string[]>>;

export interface Value {
  text: string;
  /** the trick applied, or 'valid' / 'fresh' */
  how: string;
  hostile: boolean;
}

const HEX = '0123456789abcdef';
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Tricks on a path segment (or a multi-segment name); `b` is a well-formed value to start from. */
const PATH_TRICKS: ReadonlyArray<readonly [string, (b: string, r: Random) => string]> = [
  ['dotdot', () => '..'],
  ['dot', () => '.'],
  ['enc-dotdot', (_b, r) => r.pick(['%2e%2e', '%2E%2E', '.%2e', '%2e.'])],
  ['double-enc-dotdot', () => '%252e%252e'],
  ['dotdot-prefix', (b) => `../${b}`],
  ['dotdot-suffix', (b) => `${b}/..`],
  ['deep-traversal', (_b, r) => `${'../'.repeat(r.between(1, 8))}canary/planted`],
  ['enc-deep-traversal', (_b, r) => `${r.pick(['%2e%2e%2f', '%2e%2e/', '..%2f', '%252e%252e%252f']).repeat(r.between(1, 8))}canary%2fplanted`],
  ['backslash-traversal', (_b, r) => `${r.pick(['..\\', '..%5c', '%2e%2e%5c']).repeat(r.between(1, 6))}canary`],
  ['overlong-utf8-dot', () => '%c0%ae%c0%ae'],
  ['fullwidth-dot', () => '%EF%BC%8E%EF%BC%8E'],
  ['nul', (b, r) => insert(b, r, '%00')],
  ['raw-nul', (b, r) => insert(b, r, '\0')],
  ['newline', (b, r) => insert(b, r, r.pick(['%0a', '%0d%0a', '%0d']))],
  ['raw-backslash', (b) => (b.includes('/') ? b.replace('/', '\\') : `${b}\\x`)],
  ['enc-slash', (b) => (b.includes('/') ? b.replace('/', '%2f') : `a%2F${b}`)],
  ['double-slash', (b) => (b.includes('/') ? b.replace('/', '//') : `${b}//x`)],
  ['dot-segment', (b) => (b.includes('/') ? b.replace('/', '/./') : `./${b}`)],
  ['leading-slash', (b) => `/${b}`],
  ['trailing-slash', (b) => `${b}/`],
  ['empty', () => ''],
  ['uppercase', (b) => b.toUpperCase()],
  ['space', (b, r) => insert(b, r, r.pick(['%20', '+', '%09']))],
  ['raw-space', (b, r) => insert(b, r, ' ')],
  ['unicode', (b, r) => insert(b, r, r.pick(['%C3%BC', '%E2%80%AE', '%F0%9F%92%A9', '%EF%BB%BF', '%E2%80%8B', '%CC%81']))],
  ['raw-unicode', (b, r) => insert(b, r, r.pick(['ü', '\u202e', '💩', 'ａ', '\u0131']))],
  ['bad-percent', (b, r) => insert(b, r, r.pick(['%', '%z', '%zz', '%%', '%E0%A4%A', '%ff%fe', '%80', '%ed%a0%80', '%u002e']))],
  ['query-char', (b, r) => insert(b, r, r.pick(['%3f', '%23', ';x=1', '%3b', '%26', '*', '%2a', '~', '!', "'", '"', '<', '>', '|', '`', '$']))],
  ['colon', (b, r) => insert(b, r, ':')],
  ['overlong', (b, r) => stretch(b || 'a', r.pick([64, 65, 128, 129, 255, 256, 257, 1000, 4096, 9000, 20000]))],
  ['many-segments', (b, r) => Array.from({ length: r.pick([10, 64, 500, 3000]) }, () => b || 'a').join('/')],
];

const DIGEST_TRICKS: ReadonlyArray<readonly [string, (r: Random) => string]> = [
  ['short-hex', (r) => `sha256:${r.chars(63, HEX)}`],
  ['long-hex', (r) => `sha256:${r.chars(r.pick([65, 128, 5000]), HEX)}`],
  ['upper-hex', (r) => `sha256:${r.chars(64, HEX).toUpperCase()}`],
  ['sha512', (r) => `sha512:${r.chars(128, HEX)}`],
  ['sha512-short', (r) => `sha512:${r.chars(64, HEX)}`],
  ['unknown-algorithm', (r) => `${r.pick(['md5', 'sha1', 'blake3', 'SHA256', 'sha256+b64u', 'sha-256', 'a'.repeat(300)])}:${r.chars(64, HEX)}`],
  ['no-algorithm', (r) => r.chars(64, HEX)],
  ['algorithm-only', () => 'sha256:'],
  ['colon-only', () => ':'],
  ['two-colons', (r) => `sha256:${r.chars(32, HEX)}:${r.chars(32, HEX)}`],
  ['traversal-digest', (r) => `sha256:${r.pick(['..', '%2e%2e', '../../canary', '..%2f..%2fcanary'])}`],
  ['tarsum', (r) => `tarsum.v1+sha256:${r.chars(64, HEX)}`],
  ['tarsum-dev', (r) => `tarsum.dev+sha256:${r.chars(64, HEX)}`],
  ['nul-digest', (r) => `sha256:${r.chars(32, HEX)}%00${r.chars(31, HEX)}`],
  ['non-hex', (r) => `sha256:${r.chars(64, 'ghijklmnopqrstuvwxyz')}`],
];

const ID_TRICKS: ReadonlyArray<readonly [string, (r: Random) => string]> = [
  ['upper-id', (r) => r.chars(64, HEX).toUpperCase()],
  ['short-id', (r) => r.chars(r.pick([1, 12, 63]), HEX)],
  ['long-id', (r) => r.chars(r.pick([65, 128, 4096]), HEX)],
  ['non-hex-id', (r) => r.chars(64, ALNUM)],
  ['digest-as-id', (r) => `sha256:${r.chars(64, HEX)}`],
];

const UUID_TRICKS: ReadonlyArray<readonly [string, (r: Random) => string]> = [
  ['upper-uuid', (r) => uuid(r).toUpperCase()],
  ['no-dash-uuid', (r) => r.chars(32, HEX)],
  ['long-uuid', (r) => `${uuid(r)}${r.chars(r.pick([1, 40, 3000]), HEX)}`],
  ['uuid-traversal', (r) => `..%2f${uuid(r)}`],
];

export function uuid(r: Random): string {
  const h = (n: number) => r.chars(n, HEX);
  return `${h(8)}-${h(4)}-4${h(3)}-${r.pick(['8', '9', 'a', 'b'])}${h(3)}-${h(12)}`;
}

/** A well-formed value the server holds nothing under. */
export function freshValue(param: string, r: Random): string {
  switch (param) {
    case '*name':
    case '*repository':
      return `fz${r.chars(3, ALNUM)}/${r.pick(['app', 'r', 'x-y', 'a.b', 'a__b'])}${r.int(100)}`;
    case ':digest':
    case ':subject':
      return `sha256:${r.chars(64, HEX)}`;
    case ':id':
      return r.chars(64, HEX);
    case ':uuid':
      return uuid(r);
    case ':reference':
      return r.chance(0.3) ? `sha256:${r.chars(64, HEX)}` : `t${r.chars(r.between(1, 20), ALNUM)}`;
    default:
      return `f${r.chars(r.between(1, 20), ALNUM)}`;
  }
}

/** A value for the route parameter `param`: known, fresh, or (when `hostile`) a trick on one of those. */
export function paramValue(param: string, pools: Pools, r: Random, hostile: boolean): Value {
  const known = pools[param] ?? [];
  const base = known.length > 0 && r.chance(0.75) ? r.pick(known) : freshValue(param, r);
  if (!hostile) return { text: base, how: known.includes(base) ? 'valid' : 'fresh', hostile: false };
  const kindTricks =
    param === ':digest' || param === ':subject'
      ? DIGEST_TRICKS
      : param === ':id'
        ? ID_TRICKS
        : param === ':uuid'
          ? UUID_TRICKS
          : param === ':reference'
            ? [...DIGEST_TRICKS, ['overlong-tag', (rr: Random) => `t${rr.chars(rr.pick([128, 129, 300]), ALNUM)}`] as const]
            : [];
  if (kindTricks.length > 0 && r.chance(0.4)) {
    const [how, make] = r.pick(kindTricks);
    return { text: make(r), how, hostile: true };
  }
  if (r.chance(0.08)) {
    // A value of another parameter where this one belongs.
    const others = Object.entries(pools).filter(([k, v]) => k !== param && v.length > 0);
    if (others.length > 0) return { text: r.pick(r.pick(others)[1]), how: 'other-kind', hostile: true };
  }
  const [how, make] = r.pick(PATH_TRICKS);
  return { text: make(base, r), how, hostile: true };
}

/** Query strings: the parameters routes read (n, last, digest, mount, from, tag, q, artifactType) with good and bad values. */
export function queryString(r: Random, pools: Pools): { text: string; how: string } {
  const digests = [...(pools[':digest'] ?? []), ...(pools[':subject'] ?? [])];
  const names = pools['*name'] ?? ['a/b'];
  const values: Record<string, () => string> = {
    n: () => r.pick(['0', '1', '-1', '2', '1000', '1001', '99999999999999999999', 'abc', '1e3', '0x10', '', '1.5', ' 5', '%00']),
    last: () => r.pick(['', r.pick(names), '%ff', 'zzzz', '..%2f..', 'a'.repeat(5000), '%00']),
    digest: () => (r.chance(0.5) && digests.length > 0 ? r.pick(digests) : r.pick(DIGEST_TRICKS)[1](r)),
    mount: () => (r.chance(0.6) && digests.length > 0 ? r.pick(digests) : r.pick(DIGEST_TRICKS)[1](r)),
    from: () => (r.chance(0.6) ? r.pick(names) : r.pick(PATH_TRICKS)[1](r.pick(names), r)),
    tag: () => r.pick(['latest', 'v2', '', '..', '%2e%2e', 'a'.repeat(200), 'UP', '-bad', 'ok_1']),
    q: () => r.pick(['', 'a', 'ns', '%', '%25', '*', '"', "'", '%00', '\\', 'a'.repeat(10000), 'OR 1=1', '%ff']),
    artifactType: () => r.pick(['', 'application/x', 'a'.repeat(3000), '%00', 'application/vnd.oci.image.config.v1+json']),
  };
  const keys = Object.keys(values);
  const parts: string[] = [];
  const count = r.between(1, 3);
  for (let i = 0; i < count; i++) {
    const key = r.chance(0.9) ? r.pick(keys) : r.pick(['x', '', '%00', 'n[]', '__proto__', 'constructor', 'digest[0]']);
    const make = Object.hasOwn(values, key) ? values[key] : undefined;
    parts.push(r.chance(0.05) ? key : `${key}=${make ? make() : r.chars(5, ALNUM)}`);
  }
  const text = r.chance(0.05) ? `${parts.join('&')}&${parts.join('&')}` : parts.join('&');
  return { text, how: 'query' };
}

function insert(b: string, r: Random, what: string): string {
  const at = r.int(b.length + 1);
  return b.slice(0, at) + what + b.slice(at);
}

function stretch(b: string, n: number): string {
  return b.repeat(Math.ceil(n / b.length)).slice(0, n);
}
