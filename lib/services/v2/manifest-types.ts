/**
 * What a manifest is and what it refers to, read from its bytes (never trusted from headers
 * alone). Media types are those of the OCI image spec and Docker's distribution spec; a
 * body without `mediaType` is classified as distribution does (schemaVersion 1 → schema1,
 * `manifests` → OCI index, otherwise OCI image manifest).
 */

import { type Digest, parseDigest } from '../../checksums/digest.js';
import { V2 } from '../../errors/catalog.js';
import { RegistryError } from '../../errors/registry-error.js';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociArtifact: 'application/vnd.oci.artifact.manifest.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export type ManifestKind = 'schema1' | 'image' | 'index';

const KIND_OF: Record<string, ManifestKind> = {
  [MediaType.ociManifest]: 'image',
  [MediaType.dockerManifest]: 'image',
  [MediaType.ociArtifact]: 'image',
  [MediaType.ociIndex]: 'index',
  [MediaType.dockerList]: 'index',
  [MediaType.schema1]: 'schema1',
  [MediaType.schema1Signed]: 'schema1',
};

/** Layers a registry is not expected to hold (foreign / non-distributable, or fetched from `urls`). */
const NON_DISTRIBUTABLE = /nondistributable|foreign/;

export interface Descriptor {
  mediaType?: string;
  digest: Digest;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture?: string; os?: string; variant?: string };
}

export interface ManifestInfo {
  kind: ManifestKind;
  mediaType: string;
  /** blobs the repository must already hold */
  blobs: Digest[];
  /** manifests an index lists */
  children: Descriptor[];
  subject: Digest | null;
  artifactType: string | undefined;
  configMediaType: string | undefined;
  annotations: Record<string, string> | undefined;
  /** schema1 only */
  name?: string;
  tag?: string;
}

export function isManifestMediaType(type: string): boolean {
  return type in KIND_OF;
}

/** The media type without parameters (`; charset=…`), lower-cased. */
export function bareMediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

export function parseManifestJson(bytes: Buffer): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw invalid(`not JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw invalid('not a JSON object');
  return doc as Record<string, unknown>;
}

/**
 * Classify a manifest and list its references. `contentType` is the request's (without
 * parameters); when it names a manifest type it must agree with the body's `mediaType`.
 */
export function describeManifest(doc: Record<string, unknown>, contentType = ''): ManifestInfo {
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  if (declared !== undefined && isManifestMediaType(contentType) && declared !== contentType) {
    throw invalid(`mediaType ${declared} in the manifest does not match Content-Type ${contentType}`);
  }
  const detected = detect(doc);
  const mediaType = declared ?? detected;
  const kind = KIND_OF[mediaType];
  if (!kind) throw invalid(`unsupported manifest media type ${mediaType}`);
  // Without `mediaType` a manifest is recognised by its shape alone (registry:2 stores no type):
  // one whose Content-Type says otherwise would come back as something else, so it is refused.
  if (declared === undefined && isManifestMediaType(contentType)) {
    const same = KIND_OF[contentType] === 'schema1' ? kind === 'schema1' : contentType === detected;
    if (!same) throw invalid(`a ${contentType} manifest must carry its mediaType`);
  }
  const base = {
    mediaType,
    subject: null as Digest | null,
    artifactType: typeof doc.artifactType === 'string' ? doc.artifactType : undefined,
    annotations: stringMap(doc.annotations),
    configMediaType: undefined as string | undefined,
  };
  if (kind === 'schema1') {
    if (doc.schemaVersion !== 1) throw invalid('schemaVersion must be 1');
    const layers = arrayOf(doc.fsLayers, 'fsLayers');
    const history = arrayOf(doc.history, 'history');
    if (layers.length === 0 || layers.length !== history.length) throw invalid('fsLayers and history must have the same, non-zero length');
    const blobs = layers.map((l, i) => digestField((l as Record<string, unknown>)?.blobSum, `fsLayers[${i}].blobSum`));
    return { ...base, kind, blobs, children: [], name: optionalText(doc.name, 'name'), tag: optionalText(doc.tag, 'tag') };
  }
  if (doc.schemaVersion !== 2) throw invalid('schemaVersion must be 2');
  if (doc.subject !== undefined) base.subject = descriptor(doc.subject, 'subject').digest;
  if (kind === 'index') {
    const children = arrayOf(doc.manifests, 'manifests').map((m, i) => descriptor(m, `manifests[${i}]`));
    return { ...base, kind, blobs: [], children };
  }
  const blobs: Digest[] = [];
  let configMediaType: string | undefined;
  if (mediaType !== MediaType.ociArtifact) {
    const config = descriptor(doc.config, 'config');
    configMediaType = config.mediaType;
    blobs.push(config.digest);
  }
  const layerField = mediaType === MediaType.ociArtifact ? 'blobs' : 'layers';
  const layers = doc[layerField] === undefined && mediaType === MediaType.ociArtifact ? [] : arrayOf(doc[layerField], layerField);
  layers.forEach((l, i) => {
    const d = descriptor(l, `${layerField}[${i}]`);
    const urls = (l as Record<string, unknown>).urls;
    if (NON_DISTRIBUTABLE.test(d.mediaType ?? '') || (Array.isArray(urls) && urls.length > 0)) return;
    blobs.push(d.digest);
  });
  return { ...base, kind, blobs, children: [], configMediaType };
}

function detect(doc: Record<string, unknown>): string {
  if (doc.schemaVersion === 1) return Array.isArray(doc.signatures) ? MediaType.schema1Signed : MediaType.schema1;
  return Array.isArray(doc.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
}

function descriptor(value: unknown, where: string): Descriptor {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(`${where} must be a descriptor object`);
  const v = value as Record<string, unknown>;
  if (typeof v.size !== 'number' || !Number.isSafeInteger(v.size) || v.size < 0) throw invalid(`${where}.size must be a whole number`);
  const d: Descriptor = { digest: digestField(v.digest, `${where}.digest`), size: v.size };
  if (typeof v.mediaType === 'string') d.mediaType = v.mediaType;
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  const annotations = stringMap(v.annotations);
  if (annotations) d.annotations = annotations;
  if (v.platform && typeof v.platform === 'object') d.platform = v.platform as Descriptor['platform'] & object;
  return d;
}

function digestField(value: unknown, where: string): Digest {
  const d = parseDigest(typeof value === 'string' ? value : null);
  if (!d) throw invalid(`${where} is not a valid digest`);
  return d;
}

function arrayOf(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(`${where} must be an array`);
  return value;
}

/** A schema1 `name` or `tag`: a string, or absent (the signed payload's checks decide then). */
function optionalText(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  return value;
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, string>;
}

export function invalid(why: string): RegistryError {
  return new RegistryError(V2.MANIFEST_INVALID, { message: `manifest invalid: ${why}`, detail: { reason: why } });
}
