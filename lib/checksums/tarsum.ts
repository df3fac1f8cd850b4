/**
 * TarSum (moby/moby `pkg/tarsum/tarsum.go`, `versioning.go`, `tarsum_spec.md`;
 * docker/docker-registry `docker_registry/lib/checksums.py` TarSum), the checksum Docker < 0.10
 * sent as `X-Docker-Checksum` instead of the payload checksum. Version0 (`tarsum+sha256`) and
 * Version1 (`tarsum.v1+sha256`).
 *
 * Per tar member: sha256 of `name<name>mode<mode>uid…devminor<n>` (Version0 with mtime,
 * Version1 without it but with the `SCHILY.xattr.*` records, sorted) followed by the member's
 * bytes. The member sums, sorted as hex strings and prefixed by `extra` (the image JSON bytes
 * for an image checksum), are hashed once more. Values are those of the parsed header: the
 * raw mode, the name as written (directories keep their `/`), device numbers only for devices,
 * xattr values as the bytes the archive holds (they are often binary). A best-effort
 * fingerprint, never a content address.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { readTarEntries, type TarHeader } from '../formats/tar.js';

export type TarsumVersion = 'tarsum' | 'tarsum.v1';

const TYPEFLAG: Record<string, string> = {
  file: '0',
  link: '1',
  symlink: '2',
  'character-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
  'contiguous-file': '7',
};

/** `tarsum+sha256:<hex>` or `tarsum.v1+sha256:<hex>` of a layer (plain, gzip or xz tar). */
export async function tarsum(layer: Readable, extra: Buffer, version: TarsumVersion = 'tarsum'): Promise<string> {
  const sums: string[] = [];
  await readTarEntries(layer, (header, body) => {
    const hash = createHash('sha256').update(headerBytes(header, version));
    body.on('data', (chunk) => hash.update(chunk as Buffer));
    body.on('end', () => sums.push(hash.digest('hex')));
  });
  sums.sort();
  return `${version}+sha256:${createHash('sha256').update(extra).update(sums.join('')).digest('hex')}`;
}

/** What is hashed before a member's content: `<field><value>` for each field, in order. */
export function headerBytes(h: TarHeader, version: TarsumVersion): Buffer {
  const device = h.type === 'character-device' || h.type === 'block-device';
  const fields: Array<[string, string | number | Buffer]> = [
    ['name', h.name],
    ['mode', h.mode ?? 0],
    ['uid', h.uid ?? 0],
    ['gid', h.gid ?? 0],
    ['size', h.size ?? 0],
  ];
  if (version === 'tarsum') fields.push(['mtime', h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0]);
  fields.push(
    ['typeflag', TYPEFLAG[h.type ?? 'file'] ?? '0'],
    ['linkname', h.linkname ?? ''],
    ['uname', h.uname ?? ''],
    ['gname', h.gname ?? ''],
    ['devmajor', device ? (h.devmajor ?? 0) : 0],
    ['devminor', device ? (h.devminor ?? 0) : 0],
  );
  if (version === 'tarsum.v1') {
    // Go's sort.Strings orders keys by their bytes.
    const xattrs = Object.entries(h.paxBytes ?? {})
      .filter(([key]) => key.startsWith(XATTR))
      .map(([key, value]) => [key.slice(XATTR.length), value] as const)
      .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const [key, value] of xattrs) fields.push([key, value]);
  }
  return Buffer.concat(fields.flatMap(([key, value]) => [Buffer.from(key), Buffer.isBuffer(value) ? value : Buffer.from(String(value))]));
}

const XATTR = 'SCHILY.xattr.';

/** The version named by an `X-Docker-Checksum` value, or null if it is not a sha256 tarsum. */
export function tarsumVersionOf(checksum: string): TarsumVersion | null {
  const m = /^(tarsum|tarsum\.v1)\+sha256:[a-f0-9]{64}$/.exec(checksum);
  return m ? (m[1] as TarsumVersion) : null;
}
