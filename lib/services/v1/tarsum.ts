/**
 * TarSum (Docker's `pkg/tarsum`, docker-registry's `lib/checksums.py` TarSum), the checksum
 * Docker < 0.10 sent as `X-Docker-Checksum` instead of the payload checksum (spec v1 §7.2,
 * v2-and-bridging §5.1). Version0 (`tarsum+sha256`) and Version1 (`tarsum.v1+sha256`).
 *
 * Per tar member: sha256 of `name<name>mode<mode>uid…devminor<n>` (Version0 with mtime,
 * Version1 without it but with the `SCHILY.xattr.*` records, sorted) followed by the member's
 * bytes. The member sums, sorted as hex strings and prefixed by `extra` (the image JSON bytes
 * for an image checksum), are hashed once more. Values are those of the parsed header: the
 * raw mode, the name as written (directories keep their `/`), device numbers only for devices.
 * A best-effort fingerprint, never a content address.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import { readTarEntries } from './layer-stream.js';

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
    const hash = createHash('sha256').update(headerString(header, version));
    body.on('data', (chunk) => hash.update(chunk as Buffer));
    body.on('end', () => sums.push(hash.digest('hex')));
  });
  sums.sort();
  return `${version}+sha256:${createHash('sha256').update(extra).update(sums.join('')).digest('hex')}`;
}

export function headerString(h: Header, version: TarsumVersion): string {
  const device = h.type === 'character-device' || h.type === 'block-device';
  const fields: Array<[string, string | number]> = [
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
    const xattrs = Object.entries(h.pax ?? {})
      .filter(([key]) => key.startsWith('SCHILY.xattr.'))
      .map(([key, value]) => [key.slice('SCHILY.xattr.'.length), value] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, value] of xattrs) fields.push([key, value]);
  }
  return fields.map(([key, value]) => `${key}${value}`).join('');
}

/** The version named by an `X-Docker-Checksum` value, or null if it is not a sha256 tarsum. */
export function tarsumVersionOf(checksum: string): TarsumVersion | null {
  const m = /^(tarsum|tarsum\.v1)\+sha256:[a-f0-9]{64}$/.exec(checksum);
  return m ? (m[1] as TarsumVersion) : null;
}
