/**
 * Two Docker 1.x clients pushing the same V1 image at once (moby/moby v1.3.0 `graph/push.go`:
 * GET json, then PUT json, layer, checksum; "Image already exists" on json means "already
 * pushed"), over real HTTP: every answer is one docker-registry documents for the step
 * (docker/docker-registry `docker_registry/images.py`), each client's push ends the way Docker
 * counts as success, and the image is complete and byte-identical. Before pushes were serialised
 * as a whole, one client's PUT json between the other's layer and checksum deleted `_checksum`,
 * and the checksum PUT failed with a 400 for no fault of its client.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { lockName } from '../../lib/services/host-lock.js';
import { loadYaml, tempDir, testConfig, writeConfig } from '../support/config.js';
import { spawnBerth } from '../support/process.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { jsonOf, payload, pushImage, v1Client } from '../support/v1-client.js';

const UA = 'docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64';

/** What the old registry answers each step of a push, the image being pushed by someone else too. */
const DOCUMENTED: Record<string, string[]> = {
  'GET json': ['200', '404 Image not found', '400 Image is being uploaded, retry later'],
  'PUT json': ['200', '409 Image already exists', '400 Image is being uploaded, retry later'],
  'PUT layer': ['200', '409 Image already exists'],
  'PUT checksum': ['200', '409 Image already exists', '409 Cannot set this image checksum'],
};

type Step = { step: string; answer: string };

/** The answer as "status" for a 200, "status message" otherwise. */
function answer(status: number, body: Buffer): string {
  if (status === 200) return '200';
  try {
    return `${status} ${(JSON.parse(body.toString()) as { error: string }).error}`;
  } catch {
    return `${status} ${body.toString().slice(0, 80)}`;
  }
}

/** PUT a layer chunked, as Docker does, and read the answer's body too. */
function putLayer(base: string, id: string, data: Buffer): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/v1/images/${id}/layer`,
      { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream', 'User-Agent': UA }, timeout: 15_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('layer PUT timed out')));
    for (let off = 0; off < data.length; off += 16 * 1024) req.write(data.subarray(off, off + 16 * 1024));
    req.end();
  });
}

/** One Docker 1.x push of one image; its answers, and whether Docker would call the push a success. */
async function dockerPush(base: string, id: string, json: Buffer, layer: Buffer): Promise<{ steps: Step[]; ok: boolean }> {
  const call = v1Client(base);
  const steps: Step[] = [];
  const record = (step: string, status: number, body: Buffer) => {
    steps.push({ step, answer: answer(status, body) });
    return steps.at(-1)?.answer ?? '';
  };
  const get = await call('GET', `/v1/images/${id}/json`);
  if (record('GET json', get.status, get.body) === '200') return { steps, ok: true };
  const put = await call('PUT', `/v1/images/${id}/json`, { body: json, headers: { 'Content-Type': 'application/json' } });
  const putAnswer = record('PUT json', put.status, put.body);
  if (putAnswer === '409 Image already exists') return { steps, ok: true }; // "Image already pushed, skipping"
  if (putAnswer !== '200') return { steps, ok: false };
  const sent = await putLayer(base, id, layer);
  if (record('PUT layer', sent.status, sent.body) !== '200') return { steps, ok: false };
  const checksum = await call('PUT', `/v1/images/${id}/checksum`, {
    headers: { 'X-Docker-Checksum-Payload': payload(json, layer), 'X-Docker-Checksum': 'tarsum+sha256:ignored' },
  });
  const checksumAnswer = record('PUT checksum', checksum.status, checksum.body);
  return { steps, ok: checksumAnswer === '200' || checksumAnswer === '409 Image already exists' };
}

describe('V1: two clients pushing the same image at once', function () {
  this.timeout(180_000);
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(testConfig(`  lock_dir: ${tempDir()}\n`));
  });
  after(() => srv?.stop());

  it('50 rounds: every answer is a documented one, both pushes succeed as Docker counts it, the image is whole and byte-identical', async () => {
    const layer = randomBytes(256 * 1024);
    const unexpected: string[] = [];
    const failedPushes: string[] = [];
    let bothPushedFully = 0;
    for (let round = 0; round < 50; round++) {
      const id = createHash('sha256').update(`race round ${round}`).digest('hex');
      const json = jsonOf(id);
      // The second client starts 0 to 48 ms after the first, so that over the rounds its PUT json
      // lands before, during and after each step of the first client's push.
      const pushes = await Promise.all([
        dockerPush(srv.url, id, json, layer),
        new Promise((r) => setTimeout(r, (round % 25) * 2)).then(() => dockerPush(srv.url, id, json, layer)),
      ]);
      for (const [client, { steps, ok }] of pushes.entries()) {
        for (const { step, answer } of steps) {
          if (!DOCUMENTED[step]?.includes(answer)) unexpected.push(`round ${round}, client ${client}: ${step} → ${answer}`);
        }
        if (!ok) failedPushes.push(`round ${round}, client ${client}: ${steps.map((s) => `${s.step} → ${s.answer}`).join('; ')}`);
      }
      if (pushes.every((p) => p.steps.some((s) => s.step === 'PUT checksum' && s.answer === '200'))) bothPushedFully++;

      const call = v1Client(srv.url);
      const got = await call('GET', `/v1/images/${id}/json`);
      assert.equal(got.status, 200, `round ${round}: ${got.body}`);
      assert.ok(got.body.equals(json), `round ${round}: json byte-identical`);
      assert.equal(got.headers.get('x-docker-size'), String(layer.length));
      assert.equal(got.headers.get('x-docker-checksum-payload'), payload(json, layer));
      const pulled = await call('GET', `/v1/images/${id}/layer`);
      assert.equal(pulled.status, 200);
      assert.ok(pulled.body.equals(layer), `round ${round}: layer byte-identical`);
      assert.deepEqual(JSON.parse((await call('GET', `/v1/images/${id}/ancestry`)).body.toString()), [id]);
    }
    assert.deepEqual(unexpected, [], 'answers the old registry does not document for these steps');
    assert.deepEqual(failedPushes, [], 'pushes Docker would report as failed');
    assert.equal(bothPushedFully, 0, 'one push of each pair is the one that uploads; the other is told the image exists');
  });
});

describe('V1: a push whose layer upload broke', () => {
  it('holds the image up no longer: the retry goes through with nothing to take over', async () => {
    const srv = await startTestServer(testConfig(`  lock_dir: ${tempDir()}\n`));
    try {
      const id = createHash('sha256').update('layer upload broke').digest('hex');
      const json = jsonOf(id);
      assert.equal((await v1Client(srv.url)('PUT', `/v1/images/${id}/json`, { body: json })).status, 200);
      await new Promise<void>((resolve) => {
        const req = http.request(`${srv.url}/v1/images/${id}/layer`, { method: 'PUT', headers: { 'User-Agent': UA } });
        req.on('error', () => resolve());
        req.write(Buffer.alloc(64 * 1024, 1));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
      // Until the server has seen the upload fail (its request counted, whatever the status; bounded).
      const layerDone = async () =>
        (await srv.deps.metrics.httpRequests.get()).values.some((v) => v.labels.method === 'PUT' && String(v.labels.route).endsWith('/layer'));
      for (let i = 0; i < 250 && !(await layerDone()); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(await layerDone());
      await pushImage(srv.url, id, json, Buffer.from('the whole layer'));
      assert.deepEqual((await srv.deps.metrics.lockTakeovers.get()).values, [], 'no push to take over: the broken one had ended');
    } finally {
      await srv.stop();
    }
  });
});

describe('V1: a push left by a Berth process killed with SIGKILL', function () {
  this.timeout(60_000);

  it('holds up no re-push: its image lock and its push are taken over at once, their holder being gone', async () => {
    const yaml = `t:\n  storage_path: ${tempDir()}\n  lock_dir: ${tempDir()}\n  standalone: true\n  loglevel: error\n`;
    const config = loadYaml(yaml, 't').config;
    const id = createHash('sha256').update('killed mid-push').digest('hex');
    const json = jsonOf(id);
    const layer = randomBytes(128 * 1024);

    // A real `node dist` gets the json and half the layer, and is killed while it holds the image's lock.
    const first = spawnBerth({ DOCKER_REGISTRY_CONFIG: writeConfig(yaml), SETTINGS_FLAVOR: 't' });
    const url = await first.ready();
    assert.equal((await v1Client(url)('PUT', `/v1/images/${id}/json`, { body: json })).status, 200);
    const upload = http.request(`${url}/v1/images/${id}/layer`, { method: 'PUT', headers: { 'User-Agent': UA } });
    upload.on('error', () => {});
    upload.write(layer.subarray(0, 64 * 1024));
    const holderFile = path.join(config.lock_dir, lockName(id), 'holder');
    for (let i = 0; i < 250 && !existsSync(holderFile); i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(JSON.parse(readFileSync(holderFile, 'utf8')).pid, first.proc.pid, 'the killed process holds the lock');
    first.kill('SIGKILL');
    await first.exited;
    upload.destroy();

    // Berth again, on the same storage and lock directory: Docker's retry of the push goes through.
    const srv = await startTestServer(config);
    try {
      await pushImage(srv.url, id, json, layer);
      assert.ok((await v1Client(srv.url)('GET', `/v1/images/${id}/layer`)).body.equals(layer));
      const takeovers = (await srv.deps.metrics.lockTakeovers.get()).values.map((v) => `${v.labels.kind} ${v.labels.reason} ${v.value}`);
      // Seen as left by a gone process, not waited out: no stale takeover (30 s for the lock, 20 s for the push).
      assert.deepEqual(takeovers.sort(), ['lock holder-gone 1', 'push holder-gone 1']);
    } finally {
      await srv.stop();
    }
  });
});
