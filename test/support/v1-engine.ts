/**
 * Whole V1 pushes and pulls of image chains, as a Docker 1.x engine makes them (moby/moby
 * v1.3.0 `registry/session.go`, `graph/push.go`, `graph/pull.go`): index PUT, per image json,
 * layer, checksum, then the tag and the final images PUT; and a pull: images, tags, ancestry,
 * json, layer. For the tests of what other parts do with such images (the bridge); the V1
 * API's own step-by-step tests use v1-client.ts.
 */
import assert from 'node:assert/strict';
import { payload } from './v1-client.js';

export const DOCKER_15 = 'docker/1.5.0 go/go1.4.1 git-commit/a8a31ef kernel/3.13.0 os/linux arch/amd64';

export interface V1Image {
  id: string;
  json: Buffer;
  layer: Buffer;
}

export interface V1Reply {
  status: number;
  headers: Headers;
  body: Buffer;
}

export function v1Engine(base: string, agent = DOCKER_15) {
  const call = async (method: string, path: string, options: { body?: Buffer | string; headers?: Record<string, string> } = {}): Promise<V1Reply> => {
    const res = await fetch(base + path, {
      method,
      headers: { 'User-Agent': agent, ...options.headers },
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  /** Push `images` (base first) and tag the last one `tag` in `repo` (`ns/name` or `name`). */
  const push = async (repo: string, tag: string, images: readonly V1Image[]): Promise<void> => {
    const index = await call('PUT', `/v1/repositories/${repo}/`, {
      body: JSON.stringify(images.map((i, k) => (k === images.length - 1 ? { id: i.id, Tag: tag } : { id: i.id }))),
      headers: { 'Content-Type': 'application/json', 'X-Docker-Token': 'true' },
    });
    assert.equal(index.status, 200, index.body.toString());
    for (const image of images) {
      if ((await call('GET', `/v1/images/${image.id}/json`)).status === 200) continue;
      const json = await call('PUT', `/v1/images/${image.id}/json`, { body: image.json, headers: { 'Content-Type': 'application/json' } });
      assert.equal(json.status, 200, json.body.toString());
      const layer = await call('PUT', `/v1/images/${image.id}/layer`, { body: image.layer, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(layer.status, 200, layer.body.toString());
      const checksum = await call('PUT', `/v1/images/${image.id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(image.json, image.layer) } });
      assert.equal(checksum.status, 200, checksum.body.toString());
    }
    const top = images.at(-1) as V1Image;
    const tagged = await call('PUT', `/v1/repositories/${repo}/tags/${tag}`, { body: `"${top.id}"`, headers: { 'Content-Type': 'application/json' } });
    assert.equal(tagged.status, 200, tagged.body.toString());
    const done = await call('PUT', `/v1/repositories/${repo}/images`, { body: '[]', headers: { 'X-Docker-Token': 'true' } });
    assert.equal(done.status, 204);
  };

  /** Pull `repo:tag` as Docker 1.x does: the chain base first, each image's JSON, layer and the headers V1 sends with them. */
  const pull = async (repo: string, tag: string) => {
    const images = await call('GET', `/v1/repositories/${repo}/images`, { headers: { 'X-Docker-Token': 'true' } });
    assert.equal(images.status, 200, `images: ${images.body}`);
    const tags = await call('GET', `/v1/repositories/${repo}/tags`);
    assert.equal(tags.status, 200, `tags: ${tags.body}`);
    const top = (JSON.parse(tags.body.toString()) as Record<string, string>)[tag];
    assert.ok(top, `tag ${tag} is listed over V1: ${tags.body}`);
    const ancestry = await call('GET', `/v1/images/${top}/ancestry`);
    assert.equal(ancestry.status, 200);
    const chain = [];
    for (const id of (JSON.parse(ancestry.body.toString()) as string[]).reverse()) {
      const json = await call('GET', `/v1/images/${id}/json`);
      assert.equal(json.status, 200, `json of ${id}`);
      const layer = await call('GET', `/v1/images/${id}/layer`);
      assert.equal(layer.status, 200, `layer of ${id}`);
      chain.push({ id, json: json.body, layer: layer.body, size: json.headers.get('x-docker-size'), checksum: json.headers.get('x-docker-checksum-payload') });
    }
    return { top, ids: JSON.parse(images.body.toString()) as Array<{ id: string }>, chain };
  };

  return { call, push, pull };
}

/** A V1 image JSON as Docker 1.x wrote them: created with nanoseconds, container_config, config. */
export function v1Json(id: string, parent: string | null, fields: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      id,
      ...(parent ? { parent } : {}),
      created: '2015-07-09T00:00:00.123456789Z',
      container_config: { Cmd: ['/bin/sh', '-c', `#(nop) layer ${id.slice(0, 4)}`] },
      docker_version: '1.5.0',
      architecture: 'amd64',
      os: 'linux',
      ...fields,
    }),
  );
}
