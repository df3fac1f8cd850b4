/**
 * A V1-pushed image as a schema1 manifest payload, for Docker 1.6–1.9 and for clients that send
 * no Accept header (distribution/distribution v2.8.3 registry/handlers/manifests.go answers
 * schema1 when the Accept header does not list schema2). It is what those engines pushed
 * themselves (moby/moby v1.6.0 graph/push.go pushV2Repository): one fsLayer per V1 image, empty
 * ones included, newest first, each `v1Compatibility` the image's JSON as stored, laid out
 * by MarshalIndent with three spaces as distribution/distribution manifest/schema1/sign.go does.
 *
 * The result P is what Berth stores; lib/services/v2/schema1.ts signSchema1 wraps it in a fresh
 * signature on the way out, and the manifest digest is sha256(P), as distribution does
 * (distribution/distribution v2.8.3 registry/storage/signedmanifesthandler.go).
 */
import { parseDigest } from '../checksums/digest.js';
import { marshalIndent, RawJson } from './go-indent.js';
import { goQuote } from './go-string.js';
import { checkChain, readV1Image } from './v1-image.js';

export interface Schema1Link {
  /** the V1 JSON exactly as it was uploaded */
  json: Buffer;
  /** digest of the layer blob as stored (normally the gzip bytes the client sent) */
  blobDigest: string;
}

export interface Schema1Input {
  /** repository name, e.g. `library/busybox` */
  name: string;
  tag: string;
  /** the ancestry, top first, as GET /v1/images/<id>/ancestry lists it */
  chain: readonly Schema1Link[];
}

/**
 * The payload P. Throws NotBridgeableError for a chain Docker ≥1.10 would refuse to pull
 * (moby/moby distribution/pull_v2.go verifySchema1Manifest): a JSON without a 64-hex id, a base
 * with a parent, a parent that is not the next image down.
 */
export function schema1FromV1Chain({ name, tag, chain }: Schema1Input): Buffer {
  const images = chain.map((link) => readV1Image(link.json));
  checkChain([...images].reverse());
  for (const { blobDigest } of chain) if (!parseDigest(blobDigest)) throw new TypeError(`schema1FromV1Chain: ${blobDigest} is not a digest`);
  return marshalIndent(
    {
      schemaVersion: 1,
      name,
      tag,
      architecture: images[0]?.architecture || 'amd64',
      fsLayers: chain.map((link) => ({ blobSum: link.blobDigest })),
      // As Go's string(jsonBytes): the stored bytes, escaped as json.Marshal escapes strings.
      history: chain.map((link) => ({ v1Compatibility: new RawJson(goQuote(link.json)) })),
    },
    '   ',
  );
}
