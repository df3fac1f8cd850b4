/**
 * The calls of the scale-out test (test/e2e/scale-out.test.ts): a client that tells which
 * instance nginx passed each request to, and the V1 and V2 pushes and pulls it makes through
 * one instance, the other or nginx.
 */
import assert from 'node:assert/strict';
import { payload } from './v1-client.js';
import { OCI_MANIFEST, sha256 } from './v2-client.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  /** the instance nginx passed the request to (X-Berth-Upstream), or the instance asked directly */
  upstream: string;
}

export function client(base: string) {
  return async (method: string, path: string, options: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const res = await fetch(new URL(path, base), {
      method,
      redirect: 'manual',
      headers: { 'User-Agent': 'docker/1.10.3 go/go1.5.3 git-commit/20f81dd os/linux arch/amd64', ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, upstream: res.headers.get('x-berth-upstream') ?? new URL(base).host };
  };
}

export type Call = ReturnType<typeof client>;

export function expectStatus(reply: Reply, status: number, what: string): Reply {
  assert.equal(reply.status, status, `${what}: ${reply.status} ${reply.body.toString().slice(0, 300)}`);
  return reply;
}

/** A V2 chunked upload: POST, one PATCH per chunk, PUT with the last one; the replies, in order. */
export async function chunkedUpload(call: Call, name: string, chunks: Buffer[]): Promise<{ digest: string; replies: Reply[] }> {
  const digest = sha256(Buffer.concat(chunks));
  const replies = [expectStatus(await call('POST', `/v2/${name}/blobs/uploads/`), 202, 'POST upload')];
  let location = replies[0]?.headers.get('location') as string;
  let offset = 0;
  for (const chunk of chunks.slice(0, -1)) {
    const range = `${offset}-${offset + chunk.length - 1}`;
    const patch = expectStatus(
      await call('PATCH', location, { body: chunk, headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': range } }),
      202,
      `PATCH ${range}`,
    );
    replies.push(patch);
    location = patch.headers.get('location') as string;
    offset += chunk.length;
  }
  const last = chunks.at(-1) as Buffer;
  const sep = location.includes('?') ? '&' : '?';
  const put = await call('PUT', `${location}${sep}digest=${digest}`, {
    body: last,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${offset + last.length - 1}` },
  });
  replies.push(expectStatus(put, 201, 'PUT upload'));
  return { digest, replies };
}

/** An OCI image manifest over `layers` (digests and sizes), its config pushed monolithically. */
export async function pushManifest(call: Call, name: string, tag: string, layers: Array<{ digest: string; size: number }>, label: string): Promise<string> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, label }));
  const configDigest = sha256(config);
  expectStatus(
    await call('POST', `/v2/${name}/blobs/uploads/?digest=${configDigest}`, { body: config, headers: { 'Content-Type': 'application/octet-stream' } }),
    201,
    'config',
  );
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...l })),
  });
  expectStatus(await call('PUT', `/v2/${name}/manifests/${tag}`, { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } }), 201, `manifest ${tag}`);
  return sha256(manifest);
}

/**
 * The V1 push of one image as Docker 1.x makes it (json, layer, checksum); a 409 "Image already
 * exists" on its json means another push has it, which Docker takes as pushed. True when this one pushed it.
 */
export async function pushV1Image(call: Call, id: string, json: Buffer, layer: Buffer): Promise<boolean> {
  const put = await call('PUT', `/v1/images/${id}/json`, { body: json, headers: { 'Content-Type': 'application/json' } });
  if (put.status === 409) return false;
  expectStatus(put, 200, `json of ${id}`);
  expectStatus(await call('PUT', `/v1/images/${id}/layer`, { body: layer, headers: { 'Content-Type': 'application/octet-stream' } }), 200, `layer of ${id}`);
  expectStatus(await call('PUT', `/v1/images/${id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(json, layer) } }), 200, `checksum of ${id}`);
  return true;
}

/** What a pull of one V1 image through `call` gets: JSON, layer, checksum header. */
export async function pullV1Image(call: Call, id: string) {
  const json = expectStatus(await call('GET', `/v1/images/${id}/json`), 200, `json of ${id}`);
  const layer = expectStatus(await call('GET', `/v1/images/${id}/layer`), 200, `layer of ${id}`);
  return { json: json.body.toString('hex'), checksum: json.headers.get('x-docker-checksum-payload'), layer: sha256(layer.body) };
}

/** A blob pushed monolithically; its digest. */
export async function blobOf(call: Call, name: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  expectStatus(
    await call('POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { body: data, headers: { 'Content-Type': 'application/octet-stream' } }),
    201,
    'blob',
  );
  return digest;
}
