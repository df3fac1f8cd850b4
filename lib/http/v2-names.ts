/**
 * The V2 names of a request, checked: each failure is the error the distribution spec gives
 * it. The grammar itself is lib/names/v2.ts.
 */
import { requireDigest } from '../checksums/digest.js';
import { V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { isName, isTag, isUploadId, type ManifestRef, parseManifestRef } from '../names/v2.js';

export function checkName(name: string): string {
  if (!isName(name)) throw new RegistryError(V2.NAME_INVALID, { message: 'invalid repository name', detail: { name } });
  return name;
}

export function checkTag(tag: string): string {
  if (!isTag(tag)) throw new RegistryError(V2.TAG_INVALID, { message: 'invalid tag', detail: { tag } });
  return tag;
}

/** A manifest reference on a write: a tag (TAG_INVALID otherwise) or a digest (DIGEST_INVALID). */
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
  const ref = parseManifestRef(text);
  if (!ref) throw new RegistryError(V2.MANIFEST_UNKNOWN, { detail: { reference: text } });
  return ref;
}

export function checkUploadId(id: string): string {
  if (!isUploadId(id)) throw new RegistryError(V2.BLOB_UPLOAD_UNKNOWN, { detail: { uuid: id } });
  return id;
}

export { isName, requireDigest };
