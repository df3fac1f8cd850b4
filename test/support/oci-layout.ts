/** A one-image OCI image layout, written by the tests for real clients (skopeo) to push. */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

/** hex sha256 */
export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export async function layerTar(): Promise<Buffer> {
  const tar = pack();
  tar.entry({ name: 'hello/', type: 'directory', mode: 0o755, mtime: new Date(1_700_000_000_000) });
  tar.entry({ name: 'hello/world.txt', mode: 0o644, mtime: new Date(1_700_000_000_000) }, 'Hello from Berth\n');
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** An OCI image layout (one image, tag v1) as `skopeo copy oci:<dir>:v1` reads it. */
export function writeLayout(dir: string, tar: Buffer): { layer: Buffer } {
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
      history: [{ created: '2023-11-14T22:13:20Z', created_by: 'berth test' }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: `sha256:${sha256(config)}` },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: layer.length, digest: `sha256:${sha256(layer)}` }],
    }),
  );
  mkdirSync(path.join(dir, 'blobs/sha256'), { recursive: true });
  for (const blob of [layer, config, manifest]) writeFileSync(path.join(dir, 'blobs/sha256', sha256(blob)), blob);
  writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const ref = { 'org.opencontainers.image.ref.name': 'v1' };
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: manifest.length, digest: `sha256:${sha256(manifest)}`, annotations: ref }],
    }),
  );
  return { layer };
}
