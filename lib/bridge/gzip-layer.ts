/**
 * gzip for an uncompressed V1 layer that must become a gzip blob for V2 (containerd and OCI
 * clients cannot read bzip2 or xz: containerd/containerd archive/compression/compression.go
 * reads gzip and zstd only, and opencontainers/image-spec media-types.md has layer types for
 * tar, gzip and zstd only; an uncompressed layer is better sent compressed). Fixed settings, so
 * one Node build gives the same bytes for the same tar however it is chunked: level 6 (zlib's and Go's compress/gzip default, what Docker's own
 * V1 pushes used), windowBits 15, memLevel 8, the default strategy, no file name, and mtime 0 in
 * the header, as Go's gzip.Writer writes when no ModTime is set.
 *
 * Not reproducible across zlib implementations: another Node (a different bundled zlib) or
 * another OS (the header's OS byte is zlib's build-time OS_CODE, 3 on Unix) may compress the same
 * tar to other bytes. So compress once, store the blob, and keep its digest; never recompress
 * to "find" a digest again: a digest once served must keep its bytes, or pulls by digest break.
 */
import { constants, createGzip, type Gzip } from 'node:zlib';
import { STREAM_CHUNK } from '../storage/driver.js';

export const GZIP_LEVEL = 6;

export function gzipDeterministic(): Gzip {
  return createGzip({
    level: GZIP_LEVEL,
    windowBits: 15,
    memLevel: 8,
    strategy: constants.Z_DEFAULT_STRATEGY,
    chunkSize: STREAM_CHUNK,
  });
}
