/**
 * Repository names, tags and upload ids of the V2 API, checked by the distribution spec's
 * grammar before anything reaches storage (which keeps `..`, `%2F` and friends out of paths).
 */
import { V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { parseDigest, requireDigest } from '../services/v2/digest.js';
import type { ManifestRef } from '../services/v2/manifests.js';

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const UUID = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;
/** Clients cap host + '/' + name at 255; the name alone can be no longer. */
const MAX_NAME = 255;

export function isName(name: string): boolean {
  return name.length <= MAX_NAME && NAME.test(name);
}

export function checkName(name: string): string {
  if (!isName(name)) {
    throw new RegistryError(V2.NAME_INVALID, { message: 'invalid repository name', detail: { name } });
  }
  return name;
}

export function isTag(text: string): boolean {
  return TAG.test(text);
}

export function checkTag(tag: string): string {
  if (!isTag(tag)) throw new RegistryError(V2.TAG_INVALID, { message: 'invalid tag', detail: { tag } });
  return tag;
}

/** A manifest reference is a tag or a digest, nothing else. */
export function parseReference(text: string): ManifestRef {
  if (text.includes(':')) return { kind: 'digest', digest: requireDigest(text, 'reference') };
  return { kind: 'tag', tag: checkTag(text) };
}

/**
 * A reference on a read (GET/HEAD): one that can name nothing is a manifest that is not there,
 * 404 MANIFEST_UNKNOWN, as registry:2 answers (its route does not match) and as clients and the
 * OCI conformance suite expect. A PUT keeps the 400 of parseReference.
 */
export function parseReadReference(text: string): ManifestRef {
  const valid = text.includes(':') ? parseDigest(text) !== null : isTag(text);
  if (!valid) throw new RegistryError(V2.MANIFEST_UNKNOWN, { detail: { reference: text } });
  return parseReference(text);
}

export function checkUploadId(id: string): string {
  if (!UUID.test(id)) throw new RegistryError(V2.BLOB_UPLOAD_UNKNOWN, { detail: { uuid: id } });
  return id;
}

export { requireDigest };
