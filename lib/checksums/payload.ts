/**
 * The V1 "payload" checksum (docker/docker-registry `docker_registry/lib/checksums.py`
 * `compute_simple`): sha256 over the image JSON exactly as stored, one "\n", then the layer bytes,
 * computed while the layer streams by. And the `_checksum` file, which 0.7+ wrote as a JSON list
 * and 0.6 as a plain string.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';

export function payloadHasher(imageJson: Buffer): Hash {
  return createHash('sha256').update(imageJson).update('\n');
}

export async function payloadChecksum(imageJson: Buffer, layer: Readable): Promise<string> {
  const hash = payloadHasher(imageJson);
  for await (const chunk of layer) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** `["sha256:…", …]` (0.7+) or `sha256:…` (0.6, scripts): a list either way. */
export function parseStoredChecksums(content: Buffer): string[] {
  const text = content.toString('utf8').trim();
  if (text.startsWith('[')) {
    try {
      const list = JSON.parse(text) as unknown;
      if (Array.isArray(list)) return list.filter((c): c is string => typeof c === 'string');
    } catch {
      // not JSON after all: fall through to the plain form
    }
  }
  return text ? [text] : [];
}
