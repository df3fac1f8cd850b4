/**
 * Whole requests, as the bytes that go on the wire: a route of the app's route table (or a path
 * off it) with its parameters filled in, an ordinary or odd method, a query, headers (Range,
 * Content-Range, conditional, checksum, auth, forwarding, client versions), a body, and a
 * framing that may lie: a Content-Length longer or shorter than the body, chunked bodies cut
 * short, oversized or malformed, both framings at once.
 */
import type { RouteInfo } from '../../../lib/http/routes/route-table.js';
import { type BodyPools, bodyFor, bodyKindOf, hugeBody } from './bodies.js';
import type { Random } from './random.js';
import { type Pools, paramValue, queryString } from './values.js';

export interface FuzzRequest {
  /** what was generated, for the figures and for a failure's message */
  how: string[];
  route: string;
  method: string;
  target: string;
  bytes: Buffer;
  /** the methods of the requests in `bytes`, in order (a response to HEAD has no body) */
  methods: string[];
  /** the bytes leave a request unfinished: the server may rightly answer nothing */
  unfinished: boolean;
  /** something in it is wrong on purpose */
  hostile: boolean;
  /**
   * Its body framing is broken (a lying length, a cut or malformed chunk) on a route that acts
   * on the request head alone (DELETE, POST of a new upload): Node refuses the request with a
   * 400 once it reaches the bad bytes, but the route may rightly have acted already.
   */
  headActsFirst: boolean;
}

/**
 * refusal: one defect that should make the server refuse the request (a bad parameter, method,
 * body or path), framed properly; framing: a well- or ill-formed request in a lying or broken
 * framing; mixed: mostly well-formed requests with odd headers and queries, now and then a
 * bad parameter.
 */
export type Mode = 'refusal' | 'framing' | 'mixed';

export interface Generator {
  next(mode: Mode): FuzzRequest;
}

const UA_MODERN = 'docker/24.0.7 go/go1.20.10 git-commit/311b9ff kernel/6.1.0 os/linux arch/amd64 UpstreamClient(Docker-Client/24.0.7 \\(linux\\))';
const UA_V1 = 'docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64';
const ODD_METHODS = [
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'PURGE',
  'SEARCH',
  'REPORT',
  'QUERY',
  'LINK',
  'FOO',
  'get',
  'G3T',
  'M-SEARCH',
  'X'.repeat(300),
];
const ALL_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE'];

/** Paths off the route table: traversal from the root, case and slash variants of real prefixes, junk. */
const OFF_TABLE = [
  '*',
  '/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
  '/../../../../etc/passwd',
  '/v1/../../../etc/passwd',
  '/v2/../v1/_ping',
  '/v2/..%2f..%2f..%2fetc%2fpasswd',
  '/V2/',
  '/v2//',
  '//v2/_catalog',
  '/v2/_catalog/..',
  '/v2/_catalog%00',
  '/v1/images/',
  '/v1/images//json',
  '/v1/repositories/',
  '/v1/repositories//tags',
  '/v2/a/manifests/',
  '/v2/a/blobs/',
  '/v2/a/blobs/uploads/%2e%2e',
  '/v2/a/tags/list/extra',
  '/metrics/..',
  '/_ping/',
  '/_ping%00',
  '/%ff%fe',
  '/\\..\\..\\etc\\passwd',
  'http://127.0.0.1/v2/',
  'http://evil.example/v1/_ping',
  `/${'a/'.repeat(2000)}`,
  `/v2/${'%41'.repeat(6000)}/tags/list`,
];

/**
 * `credentials`: with the server's own auth, the Authorization header most requests carry (a
 * user's Basic credentials), so that they get past the 401 to the routes themselves.
 */
export function requestGenerator(routes: readonly RouteInfo[], pools: Pools, bodies: BodyPools, r: Random, credentials?: string): Generator {
  // Routes are dealt from a shuffled deck, so that every route gets its share of any run.
  let deck: RouteInfo[] = [];
  const deal = (): RouteInfo => {
    if (deck.length === 0) {
      deck = [...routes];
      for (let i = deck.length - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [deck[i], deck[j]] = [deck[j] as RouteInfo, deck[i] as RouteInfo];
      }
    }
    return deck.pop() as RouteInfo;
  };
  return {
    next(mode) {
      const how: string[] = [];
      let bad = false;
      const route = mode === 'refusal' && r.chance(0.08) ? null : deal();
      let method = route ? route.method.toUpperCase() : r.pick(ALL_METHODS);
      if (method === 'GET' && r.chance(0.3)) method = 'HEAD';
      const hasParams = route !== null && /[*:]/.test(route.path);
      const kindOfBody = route ? bodyKindOf(method, route.path) : null;
      const defect =
        mode !== 'refusal'
          ? 'none'
          : route
            ? r.weighted([
                [hasParams ? 65 : 0, 'param'],
                [10, 'method'],
                [kindOfBody && kindOfBody !== 'layer' ? 25 : 0, 'body'],
                [hasParams ? 0 : 25, 'suffix'],
              ] as const)
            : 'path';
      if (defect === 'method' || (mode === 'mixed' && r.chance(0.03))) {
        method = r.chance(0.7) ? r.pick(ODD_METHODS) : r.pick(ALL_METHODS);
        how.push(`method:${method.slice(0, 12)}`);
        bad = true;
      }

      let target: string;
      let idParam = '';
      if (route) {
        target = route.path.replace(/[*:][A-Za-z]+/g, (param) => {
          const v = paramValue(param, pools, r, (defect === 'param' && r.chance(0.7)) || r.chance(0.12));
          if (v.hostile) {
            bad = true;
            how.push(`${param}:${v.how}`);
          }
          if (param === ':id') idParam = v.text;
          return v.text;
        });
        // A parameter-less route made hostile through its path; and a route whose parameters all came out well.
        if ((defect === 'param' && !bad) || defect === 'suffix') {
          target = `${target}${r.pick(['/..', '/%2e%2e', '%00', '/x', '//'])}`;
          how.push('path-suffix');
          bad = true;
        }
      } else {
        target = r.pick(OFF_TABLE);
        how.push('off-table');
        bad = true;
      }
      if (r.chance(0.25)) {
        const q = queryString(r, pools);
        target += `?${q.text}`;
        how.push('query');
      }

      const headers: Array<[string, string]> = [];
      const v2 = (route?.path ?? target).startsWith('/v2');
      headers.push(['User-Agent', userAgent(r, v2)]);
      if (credentials && r.chance(0.8)) headers.push(['Authorization', credentials]);
      const extras = r.int(mode === 'mixed' ? 5 : 3);
      for (let i = 0; i < extras; i++) {
        const [name, value, label] = extraHeader(r, pools);
        headers.push([name, value]);
        how.push(`header:${label}`);
      }

      // The body, for routes that read one (and now and then for those that do not).
      const kind = route ? bodyKindOf(method, route.path) : null;
      let body: Buffer | null = null;
      if (kind || r.chance(0.05)) {
        const id = /^[0-9a-f]{64}$/.test(idParam) ? idParam : r.chars(64, '0123456789abcdef');
        const b = mode !== 'mixed' && r.chance(0.02) ? hugeBody(r) : bodyFor(kind ?? 'image-json', r, bodies, id, defect === 'body' || r.chance(0.15));
        body = b.bytes;
        how.push(`body:${b.how}`);
        if (b.hostile) bad = true;
        if (kind !== 'layer' && kind !== null) headers.push(['Content-Type', r.chance(0.9) ? contentTypeFor(kind, body) : r.pick(ODD_TYPES)]);
      }
      if (defect === 'body' && !body) {
        body = Buffer.from(r.pick(['{', '[1,', '\u0000', 'null']));
        how.push('body:unexpected');
        bad = true;
      }

      const framing = mode === 'framing' ? r.pick(BAD_FRAMINGS) : body ? (r.chance(0.8) ? 'length' : 'chunked') : r.chance(0.9) ? 'none' : 'length';
      how.push(`framing:${framing}`);
      const broken = BAD_FRAMINGS.includes(framing);
      if (broken) bad = true;
      const readsBody = kind !== null && !(method === 'POST' && kind === 'layer' && !/[?&]digest=/.test(target));
      const wire = frame(method, target, headers, body ?? Buffer.alloc(0), framing, r);
      return {
        how,
        route: route ? `${route.method.toUpperCase()} ${route.path}` : `off-table ${method}`,
        method,
        target,
        bytes: wire.bytes,
        methods: wire.methods,
        unfinished: wire.unfinished,
        hostile: bad,
        headActsFirst: broken && !readsBody,
      };
    },
  };
}

const ODD_TYPES = [
  '',
  'text/plain',
  'application/json; charset=utf-16',
  ';;;',
  'a/b/c',
  `application/${'x'.repeat(3000)}`,
  'multipart/form-data; boundary=x',
  'application/json;',
];

function contentTypeFor(kind: string, body: Buffer): string {
  if (kind !== 'manifest') return 'application/json';
  const m = /"mediaType"\s*:\s*"([^"]+)"/.exec(body.subarray(0, 200).toString('latin1'));
  return m?.[1] ?? 'application/vnd.docker.distribution.manifest.v1+prettyjws';
}

function userAgent(r: Random, v2: boolean): string {
  return r.weighted([
    [v2 ? 70 : 20, UA_MODERN],
    [v2 ? 10 : 20, 'containerd/v2.1.1'],
    [v2 ? 5 : 40, UA_V1],
    [3, ''],
    [3, 'docker/99999999999999999999.1 go/x'],
    [3, 'docker/1.6.0-dev (x)'],
    [2, `docker/${'1.'.repeat(2000)}0`],
    [2, 'x'.repeat(8000)],
    [2, 'curl/8.5.0'],
  ] as const);
}

/** One of the headers routes read, with a good, odd or absurd value. */
function extraHeader(r: Random, pools: Pools): [string, string, string] {
  const digest = () => r.pick(pools[':digest'] ?? [`sha256:${'0'.repeat(64)}`]);
  const big = () => r.pick(['9007199254740993', '18446744073709551616', '1e+21', '99999999999999999999999']);
  const choices: Array<() => [string, string, string]> = [
    () => [
      'Range',
      r.pick([
        'bytes=0-',
        'bytes=0-0',
        'bytes=-1',
        'bytes=-0',
        'bytes=5-1',
        'bytes=0-1,2-3',
        `bytes=${Array.from({ length: 2000 }, (_, i) => `${i}-${i}`).join(',')}`,
        `bytes=${big()}-`,
        `bytes=0-${big()}`,
        `bytes=-${big()}`,
        'bytes=abc',
        'bytes=',
        'bytes=-',
        'bytes= 0-1',
        'bytes=1e3-2e3',
        'bytes=0x10-',
        'items=0-1',
        'bytes=0-1;x',
        '',
      ]),
      'range',
    ],
    () => [
      'Content-Range',
      r.pick([
        '0-0',
        '0-9',
        'bytes 0-9/10',
        '10-0',
        '-1-5',
        `0-${big()}`,
        `${big()}-${big()}`,
        'abc',
        '0-',
        '-',
        '',
        '5-9',
        '1-1',
        ' 0-1',
        '0-1/*',
        'bytes */10',
      ]),
      'content-range',
    ],
    () => ['If-None-Match', r.pick([`"${digest()}"`, '*', 'W/"x"', '"', `"${'a'.repeat(5000)}"`]), 'if-none-match'],
    () => [
      'If-Modified-Since',
      r.pick(['Thu, 01 Jan 1970 00:00:00 GMT', 'Fri, 31 Dec 9999 23:59:59 GMT', 'garbage', '0', '-1', '2014-01-01', 'Mon, 32 Foo 2014 99:99:99 GMT', big()]),
      'if-modified-since',
    ],
    () => [
      'Accept',
      r.pick([
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.docker.distribution.manifest.v1+prettyjws',
        '*/*',
        ';;,,;',
        Array.from({ length: 500 }, (_, i) => `type/x${i};q=0.${i % 10}`).join(', '),
      ]),
      'accept',
    ],
    () => [
      'X-Docker-Checksum-Payload',
      r.pick([digest(), 'sha256:', 'x', 'tarsum+sha256:abc', `sha256:${'0'.repeat(64)}`, '%00', 'a'.repeat(6000)]),
      'checksum-payload',
    ],
    () => ['X-Docker-Checksum', r.pick(['tarsum+sha256:0', 'tarsum.v1+sha256:x', 'sha256:', '', 'a'.repeat(300)]), 'checksum'],
    () => ['X-Docker-Token', r.pick(['true', 'false', 'garbage', '']), 'x-docker-token'],
    () => [
      'Authorization',
      r.pick([
        'Basic',
        'Basic !!!',
        'Basic YWxpY2U6',
        `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`,
        `Basic ${Buffer.from('\u0000:\u0000').toString('base64')}`,
        `Basic ${'A'.repeat(8000)}`,
        'Token signature=x,repository="ns/repo",access=write',
        'Token signature=,repository=",access=',
        'Bearer a.b.c',
        'Bearer eyJhbGciOiJub25lIn0.eyJ9.',
        'Negotiate x',
        '',
      ]),
      'authorization',
    ],
    () => ['X-Forwarded-For', r.pick(['1.2.3.4', '::1', 'garbage', '1.2.3.4, 5.6.7.8', '', 'a'.repeat(2000)]), 'x-forwarded-for'],
    () => ['X-Forwarded-Host', r.pick(['registry.example', 'a"b', 'x\\y', '[::1]:5000', '']), 'x-forwarded-host'],
    () => ['X-Request-Id', r.pick(['abc', '', '../x', 'a'.repeat(200)]), 'x-request-id'],
    () => ['Expect', r.pick(['100-continue', 'garbage']), 'expect'],
    () => ['Content-Encoding', r.pick(['gzip', 'br', 'deflate', 'x']), 'content-encoding'],
    () => ['Cookie', r.pick(['a=b', 'session=%00', ';;;']), 'cookie'],
    () => ['Origin', r.pick(['https://evil.example', 'null']), 'origin'],
    () => ['Host', r.pick(['evil.example', '', 'a b', 'x'.repeat(300)]), 'second-host'],
    () => [`X-${r.chars(8, 'abcdefgh')}`, String.fromCharCode(0x80 + r.int(0x7f)).repeat(r.between(1, 100)), 'obs-text'],
  ];
  return r.pick(choices)();
}

const BAD_FRAMINGS = [
  'lying-long',
  'lying-short',
  'chunked-truncated',
  'chunked-unterminated',
  'chunked-overlong',
  'chunked-bad-size',
  'chunked-extension',
  'both-framings',
  'two-lengths',
  'length-garbage',
  'huge-declared',
  'stray-body',
  'odd-transfer-coding',
];

/** Serialise: request line, Host, the headers, then the body framed as `framing` says. */
function frame(
  method: string,
  target: string,
  headers: Array<[string, string]>,
  body: Buffer,
  framing: string,
  r: Random,
): { bytes: Buffer; methods: string[]; unfinished: boolean } {
  // The request line in UTF-8 (a raw `ü` in a path is its two bytes); header values as single
  // bytes, so that obs-text (0x80–0xff) goes out as written.
  const head = (extra: Array<[string, string]>, close = true) =>
    Buffer.concat([
      Buffer.from(`${method} ${target} HTTP/1.1\r\n`, 'utf8'),
      Buffer.from(
        `Host: 127.0.0.1\r\n${[...headers, ...extra, ...(close ? ([['Connection', 'close']] as Array<[string, string]>) : [])]
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')}\r\n`,
        'latin1',
      ),
    ]);
  const chunked = (data: Buffer, sizes?: (n: number) => string) => {
    const parts: Buffer[] = [];
    for (let at = 0; at < data.length; ) {
      const n = Math.min(data.length - at, r.between(1, 16384));
      parts.push(Buffer.from(`${sizes ? sizes(n) : n.toString(16)}\r\n`), data.subarray(at, at + n), Buffer.from('\r\n'));
      at += n;
    }
    return parts;
  };
  const one = (bytes: Buffer[], unfinished = false) => ({ bytes: Buffer.concat(bytes), methods: [method], unfinished });
  const cl = (n: number | string): [string, string] => ['Content-Length', String(n)];
  const te: [string, string] = ['Transfer-Encoding', 'chunked'];
  switch (framing) {
    case 'none':
      return one([head([])]);
    case 'length':
      return one([head([cl(body.length)]), body]);
    case 'chunked':
      return one([head([te]), ...chunked(body), Buffer.from('0\r\n\r\n')]);
    case 'lying-long':
      // Promises more than it sends, then stops sending.
      return one([head([cl(body.length + r.pick([1, 100, 65536, 10_000_000]))]), body], true);
    case 'lying-short': {
      // The rest of the body is read as the next request on the connection.
      const cut = r.int(body.length + 1);
      return { bytes: Buffer.concat([head([cl(cut)], false), body, Buffer.from('\r\n\r\n')]), methods: [method, 'GET'], unfinished: true };
    }
    case 'stray-body':
      return { bytes: Buffer.concat([head([], false), body.length > 0 ? body : Buffer.from('{"x":1}')]), methods: [method, 'GET'], unfinished: true };
    case 'chunked-truncated': {
      const n = body.length + r.pick([1, 4096, 1 << 20]);
      return one([head([te]), Buffer.from(`${n.toString(16)}\r\n`), body], true);
    }
    case 'chunked-unterminated':
      return one([head([te]), ...chunked(body)], true);
    case 'chunked-overlong':
      return r.chance(0.5)
        ? one(
            [
              head([te]),
              Buffer.from(`${r.pick(['ffffffffffffffff', 'fffffffffffffffff0', '7fffffffffffffff', '100000000'])}\r\n`),
              body,
              Buffer.from('\r\n0\r\n\r\n'),
            ],
            true,
          )
        : one([head([te]), Buffer.from('1\r\n'), body.length > 1 ? body : Buffer.from('abc'), Buffer.from('\r\n0\r\n\r\n')]);
    case 'chunked-bad-size':
      return one([head([te]), Buffer.from(`${r.pick(['zz', '-1', ' 5', '5 ', '0x5', '', '+5'])}\r\nhello\r\n0\r\n\r\n`)]);
    case 'chunked-extension':
      return one([head([te]), ...chunked(body, (n) => `${n.toString(16)};${r.pick(['a=b', 'x'.repeat(20_000), '"', '=', 'a="b'])}`), Buffer.from('0\r\n\r\n')]);
    case 'both-framings':
      return one([head([cl(body.length), te]), ...chunked(body), Buffer.from('0\r\n\r\n')]);
    case 'two-lengths':
      return one([head([cl(body.length), cl(body.length + 1)]), body]);
    case 'length-garbage':
      return one([head([cl(r.pick(['-1', 'abc', '1e3', '0x10', ' ', '1,1', '+5', '99999999999999999999999']))]), body]);
    case 'odd-transfer-coding': {
      // RFC 9112: without chunked last the length is unknown, a 400; with it, a chunked body.
      const coding = r.pick(['identity', 'gzip', 'xchunked', 'chunked, gzip', 'gzip, chunked']);
      const framed = coding.endsWith(', chunked') ? [...chunked(body), Buffer.from('0\r\n\r\n')] : [body];
      return one([head([['Transfer-Encoding', coding]]), ...framed]);
    }
    case 'huge-declared':
      return one([head([cl(r.pick([2 ** 31, 2 ** 40, 2 ** 53, 1e15]))]), body.subarray(0, 100)], true);
    default:
      throw new Error(`unknown framing ${framing}`);
  }
}
