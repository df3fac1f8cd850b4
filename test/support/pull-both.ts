/** Helpers of the gc tests: a store made to look older, and everything a client pulls of a tag over both protocols. */
import assert from 'node:assert/strict';
import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { v1Engine } from './v1-engine.js';
import { DOCKER_MANIFEST, OCI_MANIFEST, sha256, v2Client } from './v2-client.js';

/** Make every file under `dir` look `ms` older, as a store that has been running a while. */
export async function age(dir: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) await utimes(path.join(entry.parentPath, entry.name), when, when);
  }
}

/** Everything a client pulls of a tag over V1: each image's JSON and layer, as digests. */
export async function pullV1(url: string, repo: string, tag: string): Promise<string[]> {
  const { chain } = await v1Engine(url).pull(repo, tag);
  return chain.map((c) => `v1 ${c.id} json ${sha256(c.json)} layer ${sha256(c.layer)}`);
}

/** Everything a client pulls of a tag over V2: the manifest and every blob it names, each checked against its digest. */
export async function pullV2(url: string, repo: string, tag: string): Promise<string[]> {
  const api = v2Client(url);
  const manifest = await api.call('GET', `/v2/${repo}/manifests/${tag}`, { headers: { Accept: `${DOCKER_MANIFEST}, ${OCI_MANIFEST}` } });
  assert.equal(manifest.status, 200, `V2 manifest of ${repo}:${tag}: ${manifest.body}`);
  const out = [`v2 manifest ${sha256(manifest.body)}`];
  const doc = manifest.json<{ config: { digest: string }; layers: Array<{ digest: string }> }>();
  for (const d of [doc.config.digest, ...doc.layers.map((l) => l.digest)]) {
    const blob = await api.call('GET', `/v2/${repo}/blobs/${d}`);
    assert.equal(blob.status, 200, `blob ${d} of ${repo}:${tag}`);
    assert.equal(sha256(blob.body), d);
    out.push(`v2 blob ${d}`);
  }
  return out;
}

/** Both: what a tag pulls over V1 and over V2 (the bridge shows each protocol's images in the other). */
export async function pullBoth(url: string, repo: string, tag: string): Promise<string[]> {
  return [...(await pullV1(url, repo, tag)), ...(await pullV2(url, repo, tag))];
}
