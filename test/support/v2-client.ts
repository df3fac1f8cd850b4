/** A small V2 client for tests and benchmarks: plain fetch against a Berth base URL. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = unknown>(): T;
}

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** `agent`: the User-Agent of every call (fetch's own when absent). */
export function v2Client(base: string, agent?: string) {
  const call = async (method: string, path: string, options: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const headers = { ...(agent ? { 'User-Agent': agent } : {}), ...options.headers };
    const res = await fetch(base + path, {
      method,
      redirect: 'manual',
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
  };

  /** Monolithic push of one blob (POST ?digest=); returns its digest. */
  const pushBlob = async (name: string, data: Buffer | string): Promise<string> => {
    const digest = sha256(data);
    const res = await call('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    assert.equal(res.status, 201, res.body.toString());
    return digest;
  };

  const putManifest = async (name: string, reference: string, manifest: object | string, mediaType = OCI_MANIFEST): Promise<Reply> => {
    const body = typeof manifest === 'string' ? manifest : JSON.stringify(manifest);
    return call('PUT', `/v2/${name}/manifests/${reference}`, { body, headers: mediaType ? { 'Content-Type': mediaType } : {} });
  };

  /** Push a config and layers, then an image manifest naming them; returns the manifest, its bytes and digest. */
  const pushImage = async (name: string, tag: string, layers: Buffer[], options: { mediaType?: string; config?: object; extra?: object } = {}) => {
    const mediaType = options.mediaType ?? OCI_MANIFEST;
    const oci = mediaType === OCI_MANIFEST;
    const config = Buffer.from(JSON.stringify(options.config ?? { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const configDigest = await pushBlob(name, config);
    const layerDescs = [];
    for (const layer of layers) {
      layerDescs.push({
        mediaType: oci ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip',
        size: layer.length,
        digest: await pushBlob(name, layer),
      });
    }
    const manifest = {
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: oci ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json',
        size: config.length,
        digest: configDigest,
      },
      layers: layerDescs,
      ...options.extra,
    };
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    const res = await putManifest(name, tag, bytes.toString(), mediaType);
    assert.equal(res.status, 201, res.body.toString());
    return { manifest, bytes, digest: sha256(bytes), res };
  };

  return { call, pushBlob, putManifest, pushImage };
}

/** The first V2 error code of a reply. */
export function errorCode(reply: Reply): string | undefined {
  return reply.json<{ errors: Array<{ code: string }> }>().errors[0]?.code;
}
