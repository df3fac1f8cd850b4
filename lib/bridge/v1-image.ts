/**
 * A stored V1 image JSON, read the way Docker reads it into its V1Image struct (moby/moby
 * image/v1/imagev1.go, image/image.go V1Image): field names match case-insensitively, a null
 * leaves the zero value, a value of the wrong type is an error. Only the fields the bridge uses
 * are read and type-checked; the others travel on as raw bytes.
 *
 * And the ancestry rules Docker ≥1.10 applies to a chain (moby/moby distribution/pull_v2.go
 * verifySchema1Manifest): 64-hex lowercase ids, the base without a parent, each image's parent
 * the image below it. A chain that breaks them is not bridged.
 */
import { goField, parseArrayElements, parseObjectEntries, type RawEntry, rawKind } from './go-json.js';
import { goUnquote } from './go-string.js';
import { isRfc3339 } from './go-time.js';
import { NotBridgeableError } from './not-bridgeable.js';

export const V1_ID = /^[a-f0-9]{64}$/;

export interface V1ImageFields {
  /** the top-level members, in document order */
  entries: RawEntry[];
  id: string;
  /** '' when there is none */
  parent: string;
  /** the `created` value as stored (a JSON string literal, escapes as written), or null when absent or null */
  created: Buffer | null;
  author: string;
  comment: string;
  architecture: string;
  os: string;
  /** container_config.Cmd (a lone string counts as a one-element list, as Docker's strslice reads it); null when absent */
  cmd: string[] | null;
}

function invalid(id: string | undefined, why: string): NotBridgeableError {
  return new NotBridgeableError('invalid-v1-json', `V1 image ${id ?? '(unknown id)'}: ${why}`);
}

/** A string field: '' when absent or null; another type is an error. */
function stringField(entries: readonly RawEntry[], name: string, id: string | undefined): string {
  const raw = goField(entries, name);
  if (raw === undefined || rawKind(raw) === 'null') return '';
  if (rawKind(raw) !== 'string') throw invalid(id, `${name} is not a string`);
  return goUnquote(raw);
}

export function readV1Image(json: Buffer): V1ImageFields {
  let entries: RawEntry[];
  try {
    entries = parseObjectEntries(json);
  } catch (err) {
    throw invalid(undefined, (err as Error).message);
  }
  const id = stringField(entries, 'id', undefined);
  if (!V1_ID.test(id)) throw invalid(id || undefined, 'id is not 64 lowercase hex characters');
  const parent = stringField(entries, 'parent', id);
  const author = stringField(entries, 'author', id);
  const comment = stringField(entries, 'comment', id);
  const architecture = stringField(entries, 'architecture', id);
  const os = stringField(entries, 'os', id);

  let created = goField(entries, 'created') ?? null;
  if (created !== null && rawKind(created) === 'null') created = null;
  if (created !== null && !(rawKind(created) === 'string' && isRfc3339(goUnquote(created)))) throw invalid(id, 'created is not an RFC 3339 time');

  let cmd: string[] | null = null;
  const config = goField(entries, 'container_config');
  if (config !== undefined && rawKind(config) !== 'null') {
    if (rawKind(config) !== 'object') throw invalid(id, 'container_config is not an object');
    const raw = goField(parseObjectEntries(config), 'Cmd');
    if (raw !== undefined && rawKind(raw) === 'string') cmd = [goUnquote(raw)];
    else if (raw !== undefined && rawKind(raw) === 'array')
      cmd = parseArrayElements(raw).map((arg) => {
        if (rawKind(arg) === 'null') return '';
        if (rawKind(arg) !== 'string') throw invalid(id, 'container_config.Cmd holds a value that is not a string');
        return goUnquote(arg);
      });
    else if (raw !== undefined && rawKind(raw) !== 'null') throw invalid(id, 'container_config.Cmd is neither a string nor a list');
  }
  return { entries, id, parent, created, author, comment, architecture, os, cmd };
}

/** Check ids and parent links of a chain given base first. */
export function checkChain(baseFirst: readonly V1ImageFields[]): void {
  if (baseFirst.length === 0) throw new NotBridgeableError('broken-chain', 'no V1 images');
  const seen = new Set<string>();
  baseFirst.forEach((image, i) => {
    const below = i === 0 ? '' : (baseFirst[i - 1] as V1ImageFields).id;
    if (seen.has(image.id)) throw new NotBridgeableError('broken-chain', `V1 image ${image.id} appears twice in its own ancestry`);
    seen.add(image.id);
    if (image.parent !== below) {
      const expected = below === '' ? 'no parent (it is the base)' : `parent ${below}`;
      throw new NotBridgeableError('broken-chain', `V1 image ${image.id} has ${image.parent ? `parent ${image.parent}` : 'no parent'}, expected ${expected}`);
    }
  });
}
