/**
 * docker-registry's `tests/data/` images (test/fixtures/docker-registry-tests-data/, whose README
 * says where each expected sum comes from): the image JSON, the layer, and the golden sums.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';

export interface UpstreamImage {
  /** the folder name: an image id, or `xattr` */
  folder: string;
  /** the `id` inside the JSON (the folder name is not one for `xattr`) */
  id: string;
  parent: string | null;
  json: Buffer;
  layer: Buffer;
  sums: { tarsum: string; 'tarsum.v1': string; payload: string };
}

const DIR = path.join(INSTALL_DIR, 'test/fixtures/docker-registry-tests-data');

export function upstreamImages(): UpstreamImage[] {
  const vectors = JSON.parse(readFileSync(path.join(DIR, 'vectors.json'), 'utf8')) as Record<string, UpstreamImage['sums']>;
  return Object.entries(vectors).map(([folder, sums]) => {
    const json = readFileSync(path.join(DIR, folder, 'json'));
    const parsed = JSON.parse(json.toString('utf8')) as { id: string; parent?: string };
    return { folder, id: parsed.id, parent: parsed.parent ?? null, json, layer: readFileSync(path.join(DIR, folder, 'layer.tar')), sums };
  });
}
