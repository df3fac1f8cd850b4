/**
 * Content digests (`<algorithm>:<hex>`): parsed and checked against the OCI grammar before they
 * touch storage, and computed while bytes stream past. sha256 and sha512 are the registered
 * algorithms the spec lets a registry accept; others are refused as DIGEST_INVALID.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import { V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { STREAM_CHUNK } from '../storage/driver.js';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** `sha256:…` */
  readonly value: string;
}

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };

export function parseDigest(text: string | undefined | null): Digest | null {
  if (typeof text !== 'string') return null;
  const m = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-f0-9]+)$/.exec(text);
  if (!m) return null;
  const algorithm = m[1] as DigestAlgorithm;
  const hex = m[2] as string;
  if (!(algorithm in HEX_LENGTH) || hex.length !== HEX_LENGTH[algorithm]) return null;
  return { algorithm, hex, value: text };
}

/** A digest from a request, or DIGEST_INVALID naming what was wrong. */
export function requireDigest(text: string | undefined | null, what = 'digest'): Digest {
  const d = parseDigest(text);
  if (!d) throw new RegistryError(V2.DIGEST_INVALID, { message: `invalid ${what}`, detail: { [what]: text ?? null } });
  return d;
}

export function digestOf(data: Buffer | string, algorithm: DigestAlgorithm = 'sha256'): Digest {
  const hex = createHash(algorithm).update(data).digest('hex');
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}

export function fromHash(algorithm: DigestAlgorithm, hash: Hash): Digest {
  const hex = hash.digest('hex');
  return { algorithm, hex, value: `${algorithm}:${hex}` };
}

/** A pass-through stream that hashes what it forwards; `digest()` once it has finished. */
export class DigestingStream extends Transform {
  private readonly hash: Hash | null;
  private bytes = 0;

  /** `hash`: continue a running hash (of `algorithm`) instead of starting one; null = count bytes only. */
  constructor(
    readonly algorithm: DigestAlgorithm = 'sha256',
    hash?: Hash | null,
  ) {
    super({ highWaterMark: STREAM_CHUNK });
    this.hash = hash === undefined ? createHash(algorithm) : hash;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.hash?.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }

  get size(): number {
    return this.bytes;
  }

  digest(): Digest {
    if (!this.hash) throw new Error('DigestingStream: counting only, no hash');
    return fromHash(this.algorithm, this.hash);
  }
}
