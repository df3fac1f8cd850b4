/**
 * A Docker 1.x engine's V1 session with a registry that asks for a password, replayed request
 * by request over a real connection (moby/moby v1.5.0 `registry/session.go`, `registry/auth.go`,
 * `graph/push.go`, `graph/pull.go`): `docker login`, then a push or pull of an image chain,
 * each layer streamed (sent chunked, hashed on the way back) so it can be as large as a real one.
 *
 * Where the credentials go depends on the scheme, exactly as the engine decides it:
 * - over HTTPS, when the ping says the registry is standalone, NewSession adds a decorator that
 *   puts Basic on every request, and the index's token never replaces it (setTokenAuth leaves
 *   an Authorization header that is already there);
 * - over plain HTTP, Basic goes only on the index calls (`PUT /v1/repositories/<repo>/` and
 *   `…/images`, `GET …/images`), and every other call carries `Authorization: Token <the
 *   X-Docker-Token the index answered>`.
 * After the index call the engine talks to the host the index named in X-Docker-Endpoints, with
 * the index's scheme, and so does this session.
 */
import assert from 'node:assert/strict';
import { createReadStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { payloadOfFile } from './large-layer.js';
import { type Answer, basicAuth, type RegistryConnection } from './registry-connection.js';
import { payload } from './v1-client.js';
import { DOCKER_15 } from './v1-engine.js';

export interface Docker1Image {
  id: string;
  json: Buffer;
  /** the layer's bytes, or the file that holds them */
  layer: Buffer | { file: string };
}

export interface PulledImage {
  id: string;
  json: Buffer;
  /** hex sha256 and length of the layer as it arrived */
  layerSha256: string;
  layerSize: number;
  xDockerSize: string | undefined;
}

export interface LayerTiming {
  id: string;
  bytes: number;
  ms: number;
}

interface Index {
  /** `Authorization` for the image calls: Basic kept (HTTPS), or the index's token */
  imageAuth: Record<string, string>;
  /** `https://host:port` of X-Docker-Endpoints, where the image calls go */
  registry: string;
}

export function docker1Session(conn: RegistryConnection, base: string, user: string, password: string, agent = DOCKER_15) {
  const basic = basicAuth(user, password);
  const scheme = new URL(base).protocol;
  let basicEverywhere: boolean | undefined;

  const call = (method: string, path: string, headers: Record<string, string> = {}, options: { body?: Buffer | string; discardBody?: boolean } = {}) =>
    conn.send(method, path, { ...options, headers: { 'User-Agent': agent, ...headers } });

  /** The ping that opens a session (registry/endpoint.go pingV1): standalone unless the header says otherwise. */
  const ping = async (): Promise<void> => {
    const res = await call('GET', '/v1/_ping');
    assert.equal(res.status, 200, `ping: ${res.body}`);
    const standalone = res.headers['x-docker-registry-standalone'];
    basicEverywhere = scheme === 'https:' && (standalone === undefined || /^(true|1)$/i.test(String(standalone)));
  };

  const indexCall = async (method: 'PUT' | 'GET', path: string, body?: string, extra: Record<string, string> = {}): Promise<Answer> => {
    if (basicEverywhere === undefined) await ping();
    const headers = { ...basic, 'X-Docker-Token': 'true', ...extra, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) };
    return call(method, path, headers, body !== undefined ? { body } : {});
  };

  const indexOf = (res: Answer): Index => {
    const endpoints = String(res.headers['x-docker-endpoints'] ?? '');
    assert.ok(endpoints, 'the index names the registry in X-Docker-Endpoints');
    const registry = `${scheme}//${endpoints.split(',')[0]?.trim()}`;
    if (basicEverywhere) return { imageAuth: basic, registry };
    const token = String(res.headers['x-docker-token'] ?? '');
    assert.ok(token, 'the index answers X-Docker-Token (Docker sends it on the image calls)');
    return { imageAuth: { Authorization: `Token ${token}` }, registry };
  };

  /**
   * `docker login` (registry/auth.go Login): POST /v1/users/ to create an account; a 401 there
   * means a private registry, so GET /v1/users/ with Basic says whether the password is right.
   * Docker 1.5 makes the POST with Go's default client, which trusts the system store only;
   * here the connection's CA stands for a CA installed system-wide.
   */
  const login = async (email = 'alice@example.com'): Promise<string> => {
    const post = await call(
      'POST',
      '/v1/users/',
      { 'Content-Type': 'application/json; charset=utf-8' },
      { body: JSON.stringify({ username: user, password, email }) },
    );
    if (post.status === 201) return 'Account created';
    if (post.status !== 401) return `Unexpected status code [${post.status}] : ${post.body}`;
    const get = await call('GET', '/v1/users/', basic);
    if (get.status === 200) return 'Login Succeeded';
    if (get.status === 401) return 'Wrong login/password, please try again';
    return `Login: ${get.body} (Code: ${get.status})`;
  };

  /** Push `images` (base first), tagging the last `tag` in `repo`; the time each layer PUT took. */
  const push = async (repo: string, tag: string, images: readonly Docker1Image[]): Promise<LayerTiming[]> => {
    const list = JSON.stringify(images.map((i, k) => (k === images.length - 1 ? { id: i.id, Tag: tag } : { id: i.id })));
    const opened = await indexCall('PUT', `/v1/repositories/${repo}/`, list);
    assert.equal(opened.status, 200, `index PUT: ${opened.body}`);
    const index = indexOf(opened);
    const at = (path: string) => `${index.registry}/v1${path}`;
    const timings: LayerTiming[] = [];
    for (const image of images) {
      const found = await call('GET', at(`/images/${image.id}/json`), index.imageAuth);
      if (found.status === 200) continue;
      const json = await call('PUT', at(`/images/${image.id}/json`), { ...index.imageAuth, 'Content-Type': 'application/json' }, { body: image.json });
      assert.equal(json.status, 200, `PUT json: ${json.body}`);
      const started = performance.now();
      const layer = await conn.send('PUT', at(`/images/${image.id}/layer`), {
        headers: { 'User-Agent': agent, ...index.imageAuth, 'Content-Type': 'application/octet-stream' },
        body: Buffer.isBuffer(image.layer) ? Readable.from([image.layer]) : createReadStream(image.layer.file, { highWaterMark: 1024 * 1024 }),
      });
      const ms = performance.now() - started;
      assert.equal(layer.status, 200, `PUT layer: ${layer.body}`);
      timings.push({ id: image.id, bytes: Buffer.isBuffer(image.layer) ? image.layer.length : statSync(image.layer.file).size, ms });
      const checksum = Buffer.isBuffer(image.layer) ? payload(image.json, image.layer) : await payloadOfFile(image.json, image.layer.file);
      const put = await call('PUT', at(`/images/${image.id}/checksum`), { ...index.imageAuth, 'X-Docker-Checksum-Payload': checksum });
      assert.equal(put.status, 200, `PUT checksum: ${put.body}`);
    }
    const top = images.at(-1) as Docker1Image;
    const tagged = await call(
      'PUT',
      at(`/repositories/${repo}/tags/${tag}`),
      { ...index.imageAuth, 'Content-Type': 'application/json' },
      { body: `"${top.id}"` },
    );
    assert.equal(tagged.status, 200, `PUT tag: ${tagged.body}`);
    const done = await indexCall('PUT', `/v1/repositories/${repo}/images`, list, { 'X-Docker-Endpoints': new URL(index.registry).host });
    assert.equal(done.status, 204, `index images PUT: ${done.body}`);
    return timings;
  };

  /** Pull `repo:tag`: the index, the tags, the ancestry, then each image base first, its layer hashed as it arrives. */
  const pull = async (repo: string, tag: string): Promise<PulledImage[]> => {
    const images = await indexCall('GET', `/v1/repositories/${repo}/images`);
    assert.equal(images.status, 200, `index images GET: ${images.body}`);
    const index = indexOf(images);
    const at = (path: string) => `${index.registry}/v1${path}`;
    const tags = await call('GET', at(`/repositories/${repo}/tags`), index.imageAuth);
    assert.equal(tags.status, 200, `tags: ${tags.body}`);
    const top = (JSON.parse(tags.body.toString()) as Record<string, string>)[tag];
    assert.ok(top, `tag ${tag} of ${repo}: ${tags.body}`);
    const ancestry = await call('GET', at(`/images/${top}/ancestry`), index.imageAuth);
    assert.equal(ancestry.status, 200, `ancestry: ${ancestry.body}`);
    const pulled: PulledImage[] = [];
    for (const id of (JSON.parse(ancestry.body.toString()) as string[]).reverse()) {
      const json = await call('GET', at(`/images/${id}/json`), index.imageAuth);
      assert.equal(json.status, 200, `json of ${id}: ${json.body}`);
      const layer = await call('GET', at(`/images/${id}/layer`), index.imageAuth, { discardBody: true });
      assert.equal(layer.status, 200, `layer of ${id}`);
      const xDockerSize = json.headers['x-docker-size'];
      pulled.push({
        id,
        json: json.body,
        layerSha256: layer.sha256,
        layerSize: layer.size,
        xDockerSize: xDockerSize === undefined ? undefined : String(xDockerSize),
      });
    }
    return pulled;
  };

  return { login, push, pull };
}
