/**
 * A V2-pushed image as a schema1 chain, for clients that can only pull schema1 (Docker 1.6–1.9,
 * or no Accept header): distribution's schema2 → schema1 rewrite (distribution/distribution
 * v2.8.3 manifest/schema1/config_builder.go), which Docker ≥1.10 also used when a registry
 * refused schema2 (moby/moby distribution/push_v2.go). One entry per history item, empty ones included (they get distribution's gzipped empty tar as their layer):
 *
 * - below the top, id = sha256(`<blobsum hex> <parent id>`) and a short JSON in the order of
 *   distribution's v1Compatibility struct (id, parent, comment, created, container_config with
 *   `Cmd: [created_by]`, author, throwaway);
 * - the top's id also hashes the config bytes as stored, and its JSON is the config without
 *   rootfs and history, with id, parent and throwaway set (keys sorted, values compacted).
 *
 * Two deliberate differences, both where distribution's output would fail Docker's own checks:
 * the number of non-empty history items must equal the number of layers (distribution only
 * checks "not more", and silently drops layers otherwise), and a single-entry image loses the
 * config's own `parent` (distribution leaves a `"parent":"sha256:…"` there, which Docker ≥1.10
 * refuses on a base). Windows images with rootfs.base_layer are not bridged.
 */
import { createHash } from 'node:crypto';
import { parseDigest } from '../checksums/digest.js';
import { goField, marshalSortedObject, parseArrayElements, parseObjectEntries, type RawEntry, rawKind } from './go-json.js';
import { goQuote, goUnquote } from './go-string.js';
import { GO_ZERO_TIME, goTimeText } from './go-time.js';
import { NotBridgeableError } from './not-bridgeable.js';
import type { Schema1Link } from './v1-to-schema1.js';
import { readDiffIds } from './v2-to-v1.js';

/** distribution's gzip of the 1024-byte empty tar (config_builder.go gzippedEmptyTar); the registry must hold it when `usesEmptyLayer`. */
export const GZIPPED_EMPTY_TAR = Buffer.from('1f8b080000096e8800ff621805a360148c5800080000ffff2eafb5ef00040000', 'hex');
export const GZIPPED_EMPTY_TAR_DIGEST = 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';

export interface ConfigImage {
  /** the config blob exactly as stored: the top id hashes these bytes */
  configBytes: Buffer;
  /** the manifest's layers, base first */
  layers: readonly { digest: string }[];
}

export interface Schema1Chain {
  /** top first, for schema1FromV1Chain */
  chain: Schema1Link[];
  /** some entry's layer is GZIPPED_EMPTY_TAR */
  usesEmptyLayer: boolean;
}

interface HistoryItem {
  created: string;
  author: string;
  createdBy: string;
  comment: string;
  empty: boolean;
}

const bad = (why: string) => new NotBridgeableError('invalid-config', `config: ${why}`);

export function schema1ChainFromConfig({ configBytes, layers }: ConfigImage): Schema1Chain {
  let entries: RawEntry[];
  try {
    entries = parseObjectEntries(configBytes);
  } catch (err) {
    throw bad((err as Error).message);
  }
  const rootfs = goField(entries, 'rootfs');
  const baseLayer = rootfs && rawKind(rootfs) === 'object' ? goField(parseObjectEntries(rootfs), 'base_layer') : undefined;
  if (baseLayer && rawKind(baseLayer) === 'string' && goUnquote(baseLayer) !== '') throw bad('a Windows rootfs.base_layer has no schema1 form here');
  const diffIds = readDiffIds(entries);
  const history = readHistory(entries);
  const nonEmpty = history.filter((h) => !h.empty).length;
  if (diffIds.length !== layers.length || nonEmpty !== layers.length)
    throw new NotBridgeableError('layer-count', `${layers.length} layers, ${diffIds.length} diff_ids and ${nonEmpty} non-empty history items must be equal`);
  for (const { digest } of layers) if (!parseDigest(digest)) throw new TypeError(`schema1ChainFromConfig: ${digest} is not a digest`);

  const chain: Schema1Link[] = [];
  let parent = '';
  let next = 0;
  history.forEach((h, i) => {
    const blobDigest = h.empty ? GZIPPED_EMPTY_TAR_DIGEST : (layers[next++]?.digest as string);
    const blobHex = blobDigest.slice(blobDigest.indexOf(':') + 1);
    const isTop = i === history.length - 1;
    const hash = createHash('sha256').update(`${blobHex} ${parent}`);
    const id = (isTop ? hash.update(' ').update(configBytes) : hash).digest('hex');
    const json = isTop ? topJson(entries, id, parent, h.empty) : shortJson(h, id, parent);
    chain.unshift({ json, blobDigest });
    parent = id;
  });
  return { chain, usesEmptyLayer: history.some((h) => h.empty) };
}

function readHistory(entries: readonly RawEntry[]): HistoryItem[] {
  const list = goField(entries, 'history');
  if (list === undefined || rawKind(list) !== 'array') throw bad('no history');
  const items = parseArrayElements(list).map((raw) => {
    if (rawKind(raw) !== 'object') throw bad('a history item is not an object');
    const fields = parseObjectEntries(raw);
    const text = (name: string) => {
      const v = goField(fields, name);
      if (v === undefined || rawKind(v) === 'null') return '';
      if (rawKind(v) !== 'string') throw bad(`history ${name} is not a string`);
      return goUnquote(v);
    };
    const createdText = text('created');
    const created = createdText === '' ? GO_ZERO_TIME : goTimeText(createdText);
    if (created === null) throw bad('a history item has a created that is not an RFC 3339 time');
    const emptyRaw = goField(fields, 'empty_layer');
    if (emptyRaw !== undefined && !['boolean', 'null'].includes(rawKind(emptyRaw))) throw bad('history empty_layer is not a boolean');
    return { created, author: text('author'), createdBy: text('created_by'), comment: text('comment'), empty: emptyRaw?.toString() === 'true' };
  });
  if (items.length === 0) throw bad('empty history');
  return items;
}

function shortJson(h: HistoryItem, id: string, parent: string): Buffer {
  const parts = [`"id":${goQuote(id)}`];
  if (parent) parts.push(`"parent":${goQuote(parent)}`);
  if (h.comment) parts.push(`"comment":${goQuote(h.comment)}`);
  parts.push(`"created":${goQuote(h.created)}`, `"container_config":{"Cmd":[${goQuote(h.createdBy)}]}`);
  if (h.author) parts.push(`"author":${goQuote(h.author)}`);
  if (h.empty) parts.push('"throwaway":true');
  return Buffer.from(`{${parts.join(',')}}`);
}

/** distribution's MakeV1ConfigFromConfig: rootfs and history out, id/parent/throwaway in. */
function topJson(entries: readonly RawEntry[], id: string, parent: string, empty: boolean): Buffer {
  const map = new Map<string, Uint8Array>(entries);
  map.delete('rootfs');
  map.delete('history');
  map.set('id', Buffer.from(goQuote(id)));
  if (parent) map.set('parent', Buffer.from(goQuote(parent)));
  else map.delete('parent');
  if (empty) map.set('throwaway', Buffer.from('true'));
  return marshalSortedObject(map);
}
