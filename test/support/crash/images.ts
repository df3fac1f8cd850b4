/**
 * The images the crash harness pushes, made from its seeded PRNG: V1 chains of one to three
 * images and V2 images of one to three layers (gzip tars of a few KB to 1 MB), and the pushes
 * and pulls of them, each step of which a Killer may interrupt. A push returns whether every
 * step got its success answer; a pull asserts it got back exactly what was pushed.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Random } from '../fuzz/random.js';
import { gzipLayer, sha256of } from '../layers.js';
import { payload } from '../v1-client.js';
import { DOCKER_15, v1Json } from '../v1-engine.js';
import { DOCKER_MANIFEST } from '../v2-client.js';
import { type Killer, type Reply, send } from './killer.js';

export interface V1Push {
  kind: 'v1';
  repo: string;
  tag: string;
  /** base first */
  images: Array<{ id: string; json: Buffer; layer: Buffer }>;
}

export interface V2Push {
  kind: 'v2';
  chunked: boolean;
  name: string;
  tag: string;
  /** config first, then the layers */
  blobs: Buffer[];
  manifest: Buffer;
}

export type Push = V1Push | V2Push;

/** A layer's size: mostly small, now and then up to 1 MB, so a run stays short. */
const layerSize = (rnd: Random) => (rnd.chance(0.15) ? rnd.between(256 * 1024, 1024 * 1024) : rnd.between(2 * 1024, 128 * 1024));

async function randomLayer(rnd: Random, label: string) {
  return gzipLayer({ [`crash/${label}.bin`]: rnd.bytes(layerSize(rnd)) });
}

export async function randomV1Push(rnd: Random, n: number): Promise<V1Push> {
  const images: V1Push['images'] = [];
  for (let i = 0, count = rnd.between(1, 3); i < count; i++) {
    const id = createHash('sha256').update(`crash ${rnd.seed} ${n} ${i} ${rnd.next()}`).digest('hex');
    const layer = await randomLayer(rnd, `${n}-${i}`);
    images.push({ id, json: v1Json(id, images.at(-1)?.id ?? null), layer: layer.bytes });
  }
  return { kind: 'v1', repo: `crash/v1-${n}`, tag: `t${n}`, images };
}

export async function randomV2Push(rnd: Random, n: number, chunked: boolean): Promise<V2Push> {
  const layers = [];
  for (let i = 0, count = rnd.between(1, 3); i < count; i++) layers.push(await randomLayer(rnd, `${n}-${i}`));
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Cmd: [`/crash-${n}`] }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) } }),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256of(config) },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: l.bytes.length, digest: l.digest })),
  };
  return {
    kind: 'v2',
    chunked,
    name: `crash/v2-${n}`,
    tag: `t${n}`,
    blobs: [config, ...layers.map((l) => l.bytes)],
    manifest: Buffer.from(JSON.stringify(manifest, null, 3)),
  };
}

const V1_HEADERS = { 'User-Agent': DOCKER_15 };

/** The answer is the one expected, or the server was killed (what is unexpected is a failure of the test). */
function expect(reply: Reply, status: number, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.status} ${reply.body.toString().slice(0, 300)}`);
}

/** Run a push to its end; true when every step got its success answer, false when the kill cut it. */
export async function push(base: string, p: Push, killer?: Killer): Promise<boolean> {
  try {
    if (p.kind === 'v1') await pushV1(base, p, killer);
    else await pushV2(base, p, killer);
  } catch (err) {
    if (killer?.killed) return false;
    throw err;
  }
  killer?.at('bridge-derive');
  return true;
}

/** As Docker 1.x pushes (moby/moby v1.5 `graph/push.go`): an image that is already there is skipped. */
async function pushV1(base: string, p: V1Push, killer?: Killer): Promise<void> {
  const index = p.images.map((i, k) => (k === p.images.length - 1 ? { id: i.id, Tag: p.tag } : { id: i.id }));
  const headers = { ...V1_HEADERS, 'Content-Type': 'application/json', 'X-Docker-Token': 'true' };
  expect(await send(base, 'PUT', `/v1/repositories/${p.repo}/`, { body: Buffer.from(JSON.stringify(index)), headers }), 200, 'index PUT');
  for (const image of p.images) {
    if ((await send(base, 'GET', `/v1/images/${image.id}/json`, { headers: V1_HEADERS })).status === 200) continue;
    const json = await send(base, 'PUT', `/v1/images/${image.id}/json`, { body: image.json, headers, phase: 'v1-json', ...(killer ? { killer } : {}) });
    expect(json, 200, 'PUT json');
    const layer = await send(base, 'PUT', `/v1/images/${image.id}/layer`, {
      body: image.layer,
      chunked: true,
      headers: { ...V1_HEADERS, 'Content-Type': 'application/octet-stream' },
      phase: 'v1-layer-body',
      ...(killer ? { killer } : {}),
    });
    expect(layer, 200, 'PUT layer');
    killer?.at('v1-before-checksum');
    if (killer?.killed) throw new Error('killed');
    const checksum = await send(base, 'PUT', `/v1/images/${image.id}/checksum`, {
      headers: { ...V1_HEADERS, 'X-Docker-Checksum-Payload': payload(image.json, image.layer) },
      phase: 'v1-checksum',
      ...(killer ? { killer } : {}),
    });
    expect(checksum, 200, 'PUT checksum');
  }
  const top = p.images.at(-1)?.id ?? '';
  const tag = await send(base, 'PUT', `/v1/repositories/${p.repo}/tags/${p.tag}`, {
    body: Buffer.from(`"${top}"`),
    headers,
    phase: 'v1-tag',
    ...(killer ? { killer } : {}),
  });
  expect(tag, 200, 'PUT tag');
  expect(await send(base, 'PUT', `/v1/repositories/${p.repo}/images`, { body: Buffer.from('[]'), headers }), 204, 'images PUT');
}

async function pushV2(base: string, p: V2Push, killer?: Killer): Promise<void> {
  const k = killer ? { killer } : {};
  for (const blob of p.blobs) {
    const digest = sha256of(blob);
    if (!p.chunked) {
      const put = await send(base, 'POST', `/v2/${p.name}/blobs/uploads/?digest=${digest}`, {
        body: blob,
        headers: { 'Content-Type': 'application/octet-stream' },
        phase: 'v2-blob-body',
        endPhase: 'v2-blob-commit',
        ...k,
      });
      expect(put, 201, 'blob POST');
      continue;
    }
    const started = await send(base, 'POST', `/v2/${p.name}/blobs/uploads/`);
    expect(started, 202, 'upload POST');
    let location = String(started.headers.location);
    // Two or three PATCHes with their Content-Range, then the PUT that commits them.
    const cuts = [0, Math.floor(blob.length / 3), Math.floor((2 * blob.length) / 3), blob.length].filter((c, i, all) => i === 0 || c > (all[i - 1] ?? 0));
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [from, to] = [cuts[i] as number, cuts[i + 1] as number];
      const patched = await send(base, 'PATCH', location, {
        body: blob.subarray(from, to),
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${from}-${to - 1}` },
        phase: 'v2-patch-body',
        progress: { before: from, total: blob.length },
        ...k,
      });
      expect(patched, 202, 'PATCH');
      location = String(patched.headers.location);
    }
    const committed = await send(base, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, { phase: 'v2-chunk-commit', ...k });
    expect(committed, 201, 'upload PUT');
  }
  const put = await send(base, 'PUT', `/v2/${p.name}/manifests/${p.tag}`, {
    body: p.manifest,
    headers: { 'Content-Type': DOCKER_MANIFEST },
    phase: 'v2-manifest',
    ...k,
  });
  expect(put, 201, 'manifest PUT');
}

/** A GET as a client of that protocol sends it (a Docker 1.5 User-Agent on /v2/ is told to use V1, as registry:2 tells it). */
const get = (base: string, path: string, headers: Record<string, string> = {}) =>
  send(base, 'GET', path, { headers: path.startsWith('/v1/') ? { ...V1_HEADERS, ...headers } : headers });

/** Pull `p` back the way it was pushed and assert every byte. */
export async function pullAsPushed(base: string, p: Push): Promise<void> {
  if (p.kind === 'v1') {
    const tag = await get(base, `/v1/repositories/${p.repo}/tags/${p.tag}`);
    expect(tag, 200, `${p.repo}:${p.tag} tag`);
    assert.equal(JSON.parse(tag.body.toString()), p.images.at(-1)?.id, `${p.repo}:${p.tag} names its top image`);
    for (const image of p.images) {
      const json = await get(base, `/v1/images/${image.id}/json`);
      expect(json, 200, `json of ${image.id}`);
      assert.ok(json.body.equals(image.json), `json of ${image.id} byte-identical`);
      assert.equal(json.headers['x-docker-checksum-payload'], payload(image.json, image.layer));
      assert.ok((await get(base, `/v1/images/${image.id}/layer`)).body.equals(image.layer), `layer of ${image.id} byte-identical`);
    }
    return;
  }
  const manifest = await get(base, `/v2/${p.name}/manifests/${p.tag}`, { Accept: DOCKER_MANIFEST });
  expect(manifest, 200, `${p.name}:${p.tag} manifest`);
  assert.ok(manifest.body.equals(p.manifest), `${p.name}:${p.tag} manifest byte-identical`);
  for (const blob of p.blobs) assert.ok((await get(base, `/v2/${p.name}/blobs/${sha256of(blob)}`)).body.equals(blob), `${p.name} blob byte-identical`);
}

/** Pull `p` through the other protocol (the bridge's view of it): its layers, in order, byte-identical. */
export async function pullBridged(base: string, p: Push, killer?: Killer): Promise<void> {
  killer?.at('bridge-pull');
  const pushedLayers = p.kind === 'v1' ? p.images.map((i) => i.layer) : p.blobs.slice(1);
  let pulled: Buffer[];
  if (p.kind === 'v1') {
    const manifest = await get(base, `/v2/${p.repo}/manifests/${p.tag}`, { Accept: DOCKER_MANIFEST });
    expect(manifest, 200, `V2 view of ${p.repo}:${p.tag}`);
    const layers = (JSON.parse(manifest.body.toString()) as { layers: Array<{ digest: string }> }).layers;
    pulled = [];
    for (const l of layers) pulled.push((await get(base, `/v2/${p.repo}/blobs/${l.digest}`)).body);
  } else {
    const tag = await get(base, `/v1/repositories/${p.name}/tags/${p.tag}`);
    expect(tag, 200, `V1 view of ${p.name}:${p.tag}`);
    const ancestry = await get(base, `/v1/images/${JSON.parse(tag.body.toString())}/ancestry`);
    expect(ancestry, 200, `V1 ancestry of ${p.name}:${p.tag}`);
    pulled = [];
    for (const id of (JSON.parse(ancestry.body.toString()) as string[]).reverse()) pulled.push((await get(base, `/v1/images/${id}/layer`)).body);
  }
  assert.equal(pulled.length, pushedLayers.length, `bridged view of ${p.kind} push has every layer`);
  for (const [i, layer] of pulled.entries()) assert.ok(layer.equals(pushedLayers[i] as Buffer), `bridged layer ${i} byte-identical`);
}

/** What of an interrupted push is visible is whole: every object a pull gets is exactly what was pushed; the rest is absent or still being uploaded. */
export async function visibleWhole(base: string, p: Push): Promise<void> {
  const absent = (reply: Reply, what: string, also: number[] = []) =>
    assert.ok([404, ...also].includes(reply.status), `${what}: ${reply.status} ${reply.body.toString().slice(0, 200)}`);
  if (p.kind === 'v1') {
    for (const image of p.images) {
      const json = await get(base, `/v1/images/${image.id}/json`);
      if (json.status !== 200) {
        absent(json, `json of interrupted image ${image.id}`, [400]);
        continue;
      }
      assert.ok(json.body.equals(image.json), `visible json of ${image.id} is whole`);
      const layer = await get(base, `/v1/images/${image.id}/layer`);
      expect(layer, 200, `layer of visible image ${image.id}`);
      assert.ok(layer.body.equals(image.layer), `visible layer of ${image.id} is whole`);
    }
    const tag = await get(base, `/v1/repositories/${p.repo}/tags/${p.tag}`);
    if (tag.status === 200) assert.equal(JSON.parse(tag.body.toString()), p.images.at(-1)?.id);
    else absent(tag, `tag of interrupted ${p.repo}:${p.tag}`);
    return;
  }
  for (const blob of p.blobs) {
    const got = await get(base, `/v2/${p.name}/blobs/${sha256of(blob)}`);
    if (got.status === 200) assert.ok(got.body.equals(blob), `visible blob ${sha256of(blob)} is whole`);
    else absent(got, `blob of interrupted ${p.name}`);
  }
  const manifest = await get(base, `/v2/${p.name}/manifests/${p.tag}`, { Accept: DOCKER_MANIFEST });
  if (manifest.status === 200) assert.ok(manifest.body.equals(p.manifest), `visible manifest of ${p.name} is whole`);
  else absent(manifest, `manifest of interrupted ${p.name}:${p.tag}`);
}
