/**
 * Repository names, tags and upload ids of the V2 API, by the distribution spec's grammar
 * (opencontainers/distribution-spec `spec.md`, "Pulling manifests"; distribution
 * `reference/regexp.go`), checked before anything reaches storage, which keeps `..`, `%2F`
 * and friends out of paths. Pure; the HTTP layer turns a failure into its error
 * (http/v2-names.ts).
 */
import { type Digest, parseDigest } from '../checksums/digest.js';

const COMPONENT = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';
const NAME = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const UUID = /^[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$/;
/** Clients cap host + '/' + name at 255; the name alone can be no longer. */
const MAX_NAME = 255;

/** What a manifest reference names: a tag or a digest, nothing else. */
export type ManifestRef = { kind: 'tag'; tag: string } | { kind: 'digest'; digest: Digest };

export function isName(name: string): boolean {
  return name.length <= MAX_NAME && NAME.test(name);
}

export function isTag(text: string): boolean {
  return TAG.test(text);
}

export function isUploadId(text: string): boolean {
  return UUID.test(text);
}

/** A tag or a digest; null for anything else (an invalid tag, or a digest that does not parse). */
export function parseManifestRef(text: string): ManifestRef | null {
  if (text.includes(':')) {
    const digest = parseDigest(text);
    return digest ? { kind: 'digest', digest } : null;
  }
  return isTag(text) ? { kind: 'tag', tag: text } : null;
}
