/**
 * Request bodies: well-formed ones of each kind the API reads (V1 image JSON, a tag's image
 * id, an index image list, repository properties, a user, V2 manifests and indexes, layer
 * bytes), and those bent out of shape: structural mutations (wrong types, absurd numbers,
 * deep nesting, `__proto__` keys), malformed JSON text (truncated, stray bytes, BOM, invalid
 * UTF-8, NaN, lone surrogates), and huge bodies.
 */
import type { Random } from './random.js';

export type BodyKind = 'image-json' | 'tag' | 'image-list' | 'properties' | 'user' | 'manifest' | 'layer';

/** What the test seeded, for bodies that refer to real content. */
export interface BodyPools {
  ids: readonly string[];
  blobs: ReadonlyArray<{ digest: string; size: number; mediaType: string }>;
  configs: ReadonlyArray<{ digest: string; size: number }>;
  manifests: ReadonlyArray<{ digest: string; size: number; mediaType: string; bytes: Buffer }>;
}

export interface Body {
  bytes: Buffer;
  how: string;
  hostile: boolean;
}

const HEX = '0123456789abcdef';
const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  schema1: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
};

/** The kind of body a route reads, from its method and path; null for routes that read none. */
export function bodyKindOf(method: string, routePath: string): BodyKind | null {
  if (routePath.endsWith('/layer') || routePath.includes('/blobs/uploads')) return method === 'GET' || method === 'DELETE' ? null : 'layer';
  if (method !== 'PUT' && method !== 'POST' && method !== 'PATCH') return null;
  if (routePath.includes('/manifests/')) return 'manifest';
  if (routePath.endsWith('/json')) return 'image-json';
  if (routePath.includes('/tags/')) return 'tag';
  if (routePath.endsWith('/properties')) return 'properties';
  if (routePath.startsWith('/v1/users')) return 'user';
  if (routePath.startsWith('/v1/repositories/')) return 'image-list';
  return null;
}

export function wellFormed(kind: BodyKind, r: Random, pools: BodyPools, id: string): unknown {
  const anId = () => (r.chance(0.7) && pools.ids.length > 0 ? r.pick(pools.ids) : r.chars(64, HEX));
  switch (kind) {
    case 'image-json':
      return {
        id,
        ...(r.chance(0.4) ? { parent: anId() } : {}),
        created: '2014-06-01T00:00:00Z',
        container_config: { Cmd: ['/bin/sh'] },
        config: { Env: ['PATH=/bin'], Cmd: ['sh'] },
        architecture: 'amd64',
        os: 'linux',
        Size: r.int(10000),
      };
    case 'tag':
      return anId();
    case 'image-list':
      return Array.from({ length: r.between(0, 3) }, () => ({ id: anId(), ...(r.chance(0.3) ? { Tag: 'latest' } : {}) }));
    case 'properties':
      return { access: r.pick(['private', 'public']) };
    case 'user':
      return { username: 'fuzz', password: 'pw', email: 'fuzz@example.test' };
    case 'manifest':
      return manifest(r, pools);
    case 'layer':
      return null;
  }
}

function manifest(r: Random, pools: BodyPools): unknown {
  const blob = () =>
    pools.blobs.length > 0 && r.chance(0.8) ? r.pick(pools.blobs) : { digest: `sha256:${r.chars(64, HEX)}`, size: r.int(1000), mediaType: 'x' };
  const config = pools.configs.length > 0 && r.chance(0.8) ? r.pick(pools.configs) : { digest: `sha256:${r.chars(64, HEX)}`, size: 100 };
  const kind = r.pick(['docker', 'oci', 'oci', 'list', 'index', 'schema1', 'artifact'] as const);
  const layers = Array.from({ length: r.between(0, 3) }, () => {
    const b = blob();
    return { mediaType: b.mediaType, size: b.size, digest: b.digest };
  });
  switch (kind) {
    case 'docker':
      return {
        schemaVersion: 2,
        mediaType: MEDIA.dockerManifest,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', ...config },
        layers,
      };
    case 'oci':
    case 'artifact': {
      const subject = pools.manifests.length > 0 && r.chance(0.5) ? r.pick(pools.manifests) : null;
      return {
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        ...(kind === 'artifact' ? { artifactType: 'application/vnd.example+json' } : {}),
        config: { mediaType: kind === 'artifact' ? 'application/vnd.oci.empty.v1+json' : 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
        ...(subject ? { subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size } } : {}),
        ...(r.chance(0.3) ? { annotations: { 'org.example': 'x' } } : {}),
      };
    }
    case 'list':
    case 'index': {
      const entries = Array.from({ length: r.between(0, 3) }, () => {
        const m =
          pools.manifests.length > 0 && r.chance(0.8)
            ? r.pick(pools.manifests)
            : { digest: `sha256:${r.chars(64, HEX)}`, size: 10, mediaType: MEDIA.ociManifest };
        return { mediaType: m.mediaType, digest: m.digest, size: m.size, platform: { os: 'linux', architecture: r.pick(['amd64', 'arm64', '']) } };
      });
      return { schemaVersion: 2, mediaType: kind === 'list' ? MEDIA.dockerList : MEDIA.ociIndex, manifests: entries };
    }
    case 'schema1':
      return {
        schemaVersion: 1,
        name: 'fuzz/app',
        tag: 'latest',
        architecture: 'amd64',
        fsLayers: layers.map((l) => ({ blobSum: l.digest })),
        history: layers.map(() => ({ v1Compatibility: JSON.stringify({ id: r.chars(64, HEX), created: '2015-01-01T00:00:00Z' }) })),
        signatures: r.chance(0.5) ? [{ header: { alg: 'ES256' }, signature: 'AAAA', protected: 'e30' }] : undefined,
      };
  }
}

/** Values that no well-formed body holds where they are put. */
function oddValue(r: Random): unknown {
  return r.pick<() => unknown>([
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => 1e308,
    () => -1e308,
    () => 2 ** 53 + 1,
    () => Number.MAX_SAFE_INTEGER * 4,
    () => '',
    () => 'x'.repeat(r.pick([256, 4096, 100_000])),
    () => '../../canary/planted',
    () => 'a\u0000b',
    () => '\ud800',
    () => '💩'.repeat(50),
    () => ({}),
    () => [],
    () => nest(r.pick([100, 2000])),
    () => Array.from({ length: r.pick([1000, 50_000]) }, () => 0),
    () => ({ __proto__: null, toString: 1, constructor: { prototype: 1 } }),
    () => `sha256:${r.chars(64, HEX)}`,
    () => r.chars(64, HEX),
  ])();
}

function nest(depth: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** A copy of `value` with one node replaced, removed, or given a strange sibling. */
export function mutate(value: unknown, r: Random): { value: unknown; how: string } {
  if (value === null || typeof value !== 'object' || r.chance(0.15)) return { value: oddValue(r), how: 'replaced-root' };
  const copy = structuredClone(value) as Record<string, unknown> | unknown[];
  // Walk down a random path, then change what is there.
  let node: Record<string, unknown> | unknown[] = copy;
  for (let depth = 0; depth < 4; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const key = r.pick(keys);
    const child = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && r.chance(0.6)) node = child as Record<string, unknown> | unknown[];
    else break;
  }
  const keys = Object.keys(node);
  const action = keys.length === 0 ? 'add' : r.pick(['replace', 'replace', 'replace', 'remove', 'add']);
  const key = keys.length > 0 ? r.pick(keys) : '0';
  if (action === 'replace') (node as Record<string, unknown>)[key] = oddValue(r);
  else if (action === 'remove') {
    if (Array.isArray(node)) node.splice(Number(key), 1);
    else delete node[key];
  } else if (Array.isArray(node)) node.push(oddValue(r));
  else node[r.pick(['extra', 'id', 'parent', 'mediaType', 'schemaVersion', 'layers', 'manifests', 'config', 'Size', 'constructor', 'toString'])] = oddValue(r);
  return { value: copy, how: `${action}-${key.slice(0, 20)}` };
}

/** Text-level damage to a JSON document. */
function damage(text: string, r: Random): { bytes: Buffer; how: string } {
  const tricks: Array<[string, () => Buffer | string]> = [
    ['truncated', () => text.slice(0, r.int(Math.max(text.length, 1)))],
    ['stray-byte', () => Buffer.concat([Buffer.from(text.slice(0, r.int(text.length + 1))), r.bytes(1), Buffer.from(text.slice(r.int(text.length + 1)))])],
    ['bom', () => `\uFEFF${text}`],
    ['trailing-garbage', () => `${text}${r.pick(['x', '}', ']', ',', '\u0000', ' {} ', '\n\n{"a":1}'])}`],
    ['invalid-utf8', () => Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(text.slice(-1))])],
    ['utf16', () => Buffer.from(text, 'utf16le')],
    ['nan', () => text.replace(/\d+/, r.pick(['NaN', 'Infinity', '-Infinity', '1e999999', `1${'0'.repeat(400)}`, '-0', '0x10', '01']))],
    ['lone-surrogate', () => text.replace('"', '"\\ud800')],
    ['duplicate-key', () => text.replace(/^\{/, text.length > 2 ? '{"id":"a","id":"b",' : '{"id":"a","id":"b"')],
    ['proto-key', () => text.replace(/^\{/, text.length > 2 ? '{"__proto__":{"polluted":1},' : '{"__proto__":{"polluted":1}')],
    ['single-quotes', () => text.replace(/"/g, "'")],
    ['comment', () => `/* c */${text}`],
    ['deep-nesting', () => `${'['.repeat(r.pick([1000, 100_000]))}${']'.repeat(r.chance(0.5) ? 100_000 : 3)}`],
    ['deep-object', () => `${'{"a":'.repeat(r.pick([1000, 50_000]))}1${'}'.repeat(50_000)}`],
    ['empty', () => ''],
    ['whitespace', () => ' \n\t '],
    ['null', () => 'null'],
    ['scalar', () => r.pick(['0', '"x"', 'true', '[]', '{}', '""'])],
  ];
  const [how, make] = r.pick(tricks);
  const out = make();
  return { bytes: typeof out === 'string' ? Buffer.from(out) : out, how };
}

/** A body of `kind`; when `hostile`, damaged in one of the ways above. */
export function bodyFor(kind: BodyKind, r: Random, pools: BodyPools, id: string, hostile: boolean): Body {
  if (kind === 'layer') {
    const n = r.weighted([
      [5, 0],
      [40, r.between(1, 64)],
      [40, r.between(65, 70_000)],
      [3, r.between(1_000_000, 3_000_000)],
    ] as const);
    return { bytes: r.bytes(n), how: `layer-${n}`, hostile: false };
  }
  if (kind === 'manifest' && !hostile && pools.manifests.length > 0 && r.chance(0.3)) {
    return { bytes: r.pick(pools.manifests).bytes, how: 'seeded-manifest', hostile: false };
  }
  let value = wellFormed(kind, r, pools, id);
  if (!hostile) return { bytes: Buffer.from(JSON.stringify(value)), how: 'well-formed', hostile: false };
  if (r.chance(0.6)) {
    const m = mutate(value, r);
    value = m.value;
    if (r.chance(0.7)) return { bytes: Buffer.from(JSON.stringify(value)), how: `mutated:${m.how}`, hostile: true };
  }
  const d = damage(JSON.stringify(value) ?? 'null', r);
  return { bytes: d.bytes, how: `damaged:${d.how}`, hostile: true };
}

/** A body far over any small-body limit (10 MiB for V1 JSON, 4 MiB for manifests). */
export function hugeBody(r: Random): Body {
  const n = r.pick([4 * 1024 * 1024 + 1, 10 * 1024 * 1024 + 1, 12 * 1024 * 1024]);
  const bytes = Buffer.alloc(n, r.pick(['[', ' ', 'a', '{"a":"']));
  return { bytes, how: `huge-${n}`, hostile: true };
}
