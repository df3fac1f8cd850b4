/**
 * Images for a mirror's upstream, pushed the way a V2 client pushes them: real gzip'd tar
 * layers and a config whose diff_ids are theirs (so the bridge can show them to V1 clients),
 * single images in Docker's or OCI's types, and manifest lists over several platforms.
 */
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { DOCKER_LIST, DOCKER_MANIFEST, OCI_MANIFEST, sha256, v2Client } from './v2-client.js';

export interface PushedImage {
  digest: string;
  bytes: Buffer;
  layers: Buffer[];
  config: Buffer;
}

/** A gzip'd tar holding one file of `size` random bytes. */
export async function randomLayer(size: number, name = 'data.bin'): Promise<{ gz: Buffer; tar: Buffer }> {
  const tar = pack();
  tar.entry({ name, mode: 0o644, mtime: new Date(1_700_000_000_000) }, randomBytes(size));
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const c of tar) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  return { gz: gzipSync(raw, { level: 1 }), tar: raw };
}

/** POST a session, then PUT the bytes with ?digest= (distribution 2.8 takes no monolithic POST). */
async function pushBlob(base: string, name: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const session = await fetch(`${base}/v2/${name}/blobs/uploads/`, { method: 'POST' });
  await session.arrayBuffer();
  const location = new URL(session.headers.get('location') ?? '', base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`blob push to ${name} failed: ${put.status}`);
  return digest;
}

export async function pushImage(
  base: string,
  name: string,
  tag: string,
  layerSizes: number[],
  options: { arch?: string; oci?: boolean } = {},
): Promise<PushedImage> {
  const client = v2Client(base);
  const layers = await Promise.all(layerSizes.map((s, i) => randomLayer(s, `file-${i}.bin`)));
  const config = Buffer.from(
    JSON.stringify({
      architecture: options.arch ?? 'amd64',
      os: 'linux',
      created: '2024-01-02T03:04:05Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l.tar)) },
      history: layers.map(() => ({ created: '2024-01-02T03:04:05Z', created_by: 'berth mirror test' })),
    }),
  );
  const oci = options.oci === true;
  const mediaType = oci ? OCI_MANIFEST : DOCKER_MANIFEST;
  const manifest = {
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json',
      size: config.length,
      digest: await pushBlob(base, name, config),
    },
    layers: [] as Array<{ mediaType: string; size: number; digest: string }>,
  };
  for (const l of layers) {
    manifest.layers.push({
      mediaType: oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip',
      size: l.gz.length,
      digest: await pushBlob(base, name, l.gz),
    });
  }
  const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
  const res = await client.putManifest(name, tag, bytes.toString(), mediaType);
  if (res.status !== 201) throw new Error(`push of ${name}:${tag} failed: ${res.status} ${res.body}`);
  return { digest: sha256(bytes), bytes, layers: layers.map((l) => l.gz), config };
}

/** A manifest list of one image per architecture, pushed by digest first as clients do. */
export async function pushList(base: string, name: string, tag: string, arches: string[]): Promise<{ digest: string; images: Record<string, PushedImage> }> {
  const client = v2Client(base);
  const images: Record<string, PushedImage> = {};
  for (const arch of arches) {
    const image = await pushImage(base, name, `${tag}-${arch}`, [4096], { arch });
    images[arch] = image;
  }
  const list = {
    schemaVersion: 2,
    mediaType: DOCKER_LIST,
    manifests: arches.map((arch) => ({
      mediaType: DOCKER_MANIFEST,
      size: (images[arch] as PushedImage).bytes.length,
      digest: (images[arch] as PushedImage).digest,
      platform: { architecture: arch, os: 'linux' },
    })),
  };
  const bytes = Buffer.from(JSON.stringify(list, null, 3));
  const res = await client.putManifest(name, tag, bytes.toString(), DOCKER_LIST);
  if (res.status !== 201) throw new Error(`push of ${name}:${tag} failed: ${res.status} ${res.body}`);
  return { digest: sha256(bytes), images };
}
