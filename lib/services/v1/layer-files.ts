/**
 * The `_files` listing of a layer (docker/docker-registry `docker_registry/lib/layers.py`): one
 * `[path, type, deleted, size, mtime, mode, uid, gid]` entry per tar member, in archive order,
 * with AUFS whiteouts (`./.wh.x`) turned into deleted entries, read from the layer as it streams
 * (plain, gzip or xz tar).
 */
import type { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import { LayerFormatError, readTarEntries } from '../../formats/tar.js';

export type FileEntry = [path: string, type: string, deleted: boolean, size: number, mtime: number, mode: number, uid: number, gid: number];

const TYPES: Record<string, string> = {
  file: 'f',
  link: 'l',
  symlink: 's',
  'character-device': 'c',
  'block-device': 'b',
  directory: 'd',
  fifo: 'i',
  'contiguous-file': 't',
  'gnu-long-path': 'L',
  'gnu-long-link-path': 'K',
};

export { LayerFormatError };

export async function listLayerFiles(layer: Readable): Promise<FileEntry[]> {
  const entries: FileEntry[] = [];
  await readTarEntries(layer, (header, body) => {
    const entry = toEntry(header);
    if (entry) entries.push(entry);
    body.resume();
  });
  return entries;
}

/** docker-registry's name rules: `.` → `/`, `./x` → `/x`, `/.wh.x` → deleted `/x`, `/.wh..wh.*` dropped. */
export function toEntry(h: Header): FileEntry | null {
  let name = h.name.replace(/\/+$/, '');
  if (name === '.' || name === '') name = '/';
  else if (name.startsWith('./')) name = `/${name.slice(2)}`;
  let deleted = false;
  if (name.startsWith('/.wh.')) {
    name = `/${name.slice(5)}`;
    deleted = true;
    if (name.startsWith('/.wh.')) return null;
  }
  const mtime = h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0;
  return [name, TYPES[h.type ?? 'file'] ?? 'u', deleted, h.size ?? 0, mtime, h.mode ?? 0, h.uid ?? 0, h.gid ?? 0];
}
