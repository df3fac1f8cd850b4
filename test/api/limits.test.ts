/**
 * Berth's limits (README "Limits"): slow bodies are cut with a 408 in the API's envelope and
 * leave nothing stored; connections beyond max_connections (or a client's share) are answered
 * 503 (429) and closed; upload sessions beyond a client's share are 429 TOOMANYREQUESTS; a
 * process out of descriptors answers 503. Timings here are short so that the tests are quick;
 * the defaults are far longer.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDigest } from '../../lib/checksums/digest.js';
import { uploadBody } from '../../lib/http/read-body.js';
import { exists, type StorageDriver } from '../../lib/storage/driver.js';
import { isNotFound } from '../../lib/storage/errors.js';
import { v1, v2 } from '../../lib/storage/paths.js';
import { tempDir, testConfig } from '../support/config.js';
import { heldConnections, type RawAnswer, rawRequest } from '../support/raw-http.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { API_STORES, serverForSuite } from '../support/stores.js';
import { jsonOf, v1Client } from '../support/v1-client.js';
import { errorCode, sha256, v2Client } from '../support/v2-client.js';

/** 1 KiB per second: a body sending 10 bytes every 100 ms is below it. */
const RATE = '  body_min_rate_bytes: 1024\n  body_min_rate_interval: 1\n';
const TRICKLE = { bytes: 10, everyMs: 100 };

const v2Error = (answer: RawAnswer) => (JSON.parse(answer.body) as { errors: Array<{ code: string; message: string; detail?: unknown }> }).errors[0];

/** Every object under `dir` with its size (none: the directory is gone or empty). */
async function objectsUnder(storage: StorageDriver, dir: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  const walk = async (d: string): Promise<void> => {
    let entries: string[];
    try {
      entries = await storage.list(d);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const entry of entries) {
      const info = await storage.stat(entry);
      if (info.isDir) await walk(entry);
      else found[entry.slice(dir.length + 1)] = info.size;
    }
  };
  await walk(dir);
  return found;
}

/** Files a local store holds that a failed write could have left (hidden temp files). */
function tempFilesIn(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => path.basename(f).startsWith('.berth-tmp-'));
}

for (const [label, makeConfig] of API_STORES) {
  describe(`slow upload bodies are cut and leave nothing, on ${label}`, function () {
    this.timeout(60_000);
    const suite = serverForSuite(() => makeConfig(RATE));

    it('a PATCH below the minimum rate: 408 BLOB_UPLOAD_INVALID, connection closed; the session keeps none of it and goes on', async () => {
      const start = await suite.api.call('POST', '/v2/slow/patch/blobs/uploads/');
      const location = start.headers.get('location') as string;
      const uuid = location.split('/').at(-1) as string;
      const answer = await rawRequest(suite.srv.url, { method: 'PATCH', path: location, headers: { 'Content-Length': '100000' }, trickle: TRICKLE });
      assert.equal(answer.status, 408, answer.body);
      assert.equal(answer.closed, true);
      assert.equal(answer.headers.connection, 'close');
      assert.equal(answer.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.equal(v2Error(answer)?.code, 'BLOB_UPLOAD_INVALID');
      assert.match(v2Error(answer)?.message ?? '', /too slow: less than 1024 bytes in 1 s/);
      assert.ok(answer.ms < 5_000, `cut after ${answer.ms} ms`);

      assert.equal((await suite.api.call('GET', location)).headers.get('range'), '0-0', 'none of the cut chunk counts');
      const left = await objectsUnder(suite.srv.deps.storage, v2.upload('slow/patch', uuid));
      for (const [file, size] of Object.entries(left)) assert.ok(file === 'startedat' || file === 'committed' || size === 0, `${file}: ${size} bytes left`);
      const data = Buffer.from('the whole chunk');
      assert.equal((await suite.api.call('PATCH', location, { body: data })).status, 202);
      assert.equal((await suite.api.call('PUT', `${location}?digest=${sha256(data)}`)).status, 201);
      assert.ok((await suite.api.call('GET', `/v2/slow/patch/blobs/${sha256(data)}`)).body.equals(data));
    });

    it('a monolithic POST ?digest= below the minimum rate: 408, and no blob', async () => {
      const digest = sha256('never sent whole');
      const answer = await rawRequest(suite.srv.url, {
        method: 'POST',
        path: `/v2/slow/mono/blobs/uploads/?digest=${digest}`,
        headers: { 'Content-Length': '100000' },
        trickle: TRICKLE,
      });
      assert.equal(answer.status, 408, answer.body);
      assert.equal(v2Error(answer)?.code, 'BLOB_UPLOAD_INVALID');
      assert.equal((await suite.api.call('HEAD', `/v2/slow/mono/blobs/${digest}`)).status, 404);
      const parsed = parseDigest(digest);
      assert.ok(parsed);
      assert.equal(await exists(suite.srv.deps.storage, v2.blobData(parsed)), false);
    });
  });
}

describe('slow bodies, V1 and small bodies', function () {
  this.timeout(60_000);
  let srv: TestServer;
  let storage: string;
  before(async () => {
    storage = tempDir('berth-storage-');
    srv = await startTestServer(testConfig(`${RATE}  small_body_timeout: 2\n`, {}, storage), {
      extend: (app) =>
        app.use(async (ctx) => {
          // Handlers that are slow to read, as when storage is slow or a lock is held: their
          // time is not the client's.
          if (ctx.path !== '/late-reader' && ctx.path !== '/slow-reader') return;
          if (ctx.path === '/late-reader') await sleep(2_500);
          const hash = createHash('sha256');
          for await (const chunk of uploadBody(ctx, () => new Error('cut'))) {
            hash.update(chunk as Buffer);
            if (ctx.path === '/slow-reader') await sleep(100);
          }
          ctx.body = hash.digest('hex');
        }),
    });
  });
  after(() => srv.stop());

  it('a V1 layer PUT below the minimum rate: 408 {"error"}, and no layer (not even a temp file)', async () => {
    const id = 'a'.repeat(64);
    const call = v1Client(srv.url);
    assert.equal((await call('PUT', `/v1/images/${id}/json`, { body: jsonOf(id), headers: { 'Content-Type': 'application/json' } })).status, 200);
    const answer = await rawRequest(srv.url, { method: 'PUT', path: `/v1/images/${id}/layer`, headers: { 'Content-Length': '100000' }, trickle: TRICKLE });
    assert.equal(answer.status, 408, answer.body);
    assert.equal(answer.closed, true);
    assert.equal(answer.headers['x-docker-registry-version'] !== undefined, true);
    assert.deepEqual(JSON.parse(answer.body), { error: 'Request body too slow: less than 1024 bytes in 1 s' });
    assert.equal(await exists(srv.deps.storage, v1.imageLayer(id)), false);
    assert.deepEqual(tempFilesIn(storage), []);
    // The image can still be pushed.
    const layer = Buffer.from('the layer, sent whole');
    assert.equal((await call('PUT', `/v1/images/${id}/layer`, { body: layer })).status, 200);
  });

  it('a manifest that keeps above the rate but goes past small_body_timeout: 408 MANIFEST_INVALID', async () => {
    // 2 KiB every 250 ms is 8 KiB/s, well above the rate; the deadline is 2 s.
    const answer = await rawRequest(srv.url, {
      method: 'PUT',
      path: '/v2/slow/manifest/manifests/latest',
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Content-Length': '1000000' },
      trickle: { bytes: 2048, everyMs: 250 },
    });
    assert.equal(answer.status, 408, answer.body);
    assert.equal(v2Error(answer)?.code, 'MANIFEST_INVALID');
    assert.match(v2Error(answer)?.message ?? '', /not complete within 2 s/);
    assert.ok(answer.ms >= 1_900 && answer.ms < 6_000, `cut after ${answer.ms} ms`);
    assert.equal((await v2Client(srv.url).call('HEAD', '/v2/slow/manifest/manifests/latest')).status, 404);
  });

  it('V1 image JSON past small_body_timeout: 408 {"error"}', async () => {
    const id = 'b'.repeat(64);
    const answer = await rawRequest(srv.url, {
      method: 'PUT',
      path: `/v1/images/${id}/json`,
      headers: { 'Content-Type': 'application/json', 'Content-Length': '1000000' },
      trickle: { bytes: 2048, everyMs: 250 },
    });
    assert.equal(answer.status, 408, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { error: 'Request body too slow: not complete within 2 s' });
    assert.equal(await exists(srv.deps.storage, v1.imageJson(id)), false);
  });

  it('a body nobody reads (sent with a ping) that trickles: the ping is answered, then the connection is closed', async () => {
    const answer = await rawRequest(srv.url, { method: 'GET', path: '/v1/_ping', headers: { 'Content-Length': '100000' }, trickle: TRICKLE });
    assert.equal(answer.status, 200);
    assert.equal(answer.closed, true);
    assert.ok(answer.ms < 5_000, `closed after ${answer.ms} ms`);
  });

  it('time Berth spends not reading is not the client’s: a late or slow reader gets the whole body', async () => {
    const body = randomBytes(1024 * 1024);
    const hex = createHash('sha256').update(body).digest('hex');
    for (const route of ['/late-reader', '/slow-reader']) {
      const res = await fetch(`${srv.url}${route}`, { method: 'POST', body, signal: AbortSignal.timeout(30_000) });
      assert.equal(await res.text(), hex, route);
    }
  });

  it('a steady upload at a good rate is untouched, however long it takes', async () => {
    // 4 KiB every 100 ms (40 KiB/s) for 3 s: three intervals of the rate, then the end.
    const data = Buffer.alloc(120 * 1024, 0x20);
    const start = await v2Client(srv.url).call('POST', '/v2/steady/blob/blobs/uploads/');
    const location = start.headers.get('location') as string;
    const answer = await rawRequest(srv.url, {
      method: 'PUT',
      path: `${location}?digest=${sha256(data)}`,
      headers: { 'Content-Length': String(data.length) },
      trickle: { bytes: 4096, everyMs: 100 },
      untilAnswer: true,
    });
    assert.equal(answer.status, 201, answer.body);
  });
});

describe('upload_idle_timeout with the minimum rate off', function () {
  this.timeout(30_000);
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(testConfig('  body_min_rate_bytes: 0\n  upload_idle_timeout: 1\n'));
  });
  after(() => srv.stop());

  it('an upload body that stops is cut with a 408; one that trickles is not', async () => {
    const start = await v2Client(srv.url).call('POST', '/v2/idle/blob/blobs/uploads/');
    const location = start.headers.get('location') as string;
    const stopped = await rawRequest(srv.url, { method: 'PATCH', path: location, headers: { 'Content-Length': '1000' }, body: 'x'.repeat(10) });
    assert.equal(stopped.status, 408, stopped.body);
    assert.match(v2Error(stopped)?.message ?? '', /no bytes for 1 s/);
    const slow = await rawRequest(srv.url, {
      method: 'PATCH',
      path: location,
      headers: { 'Content-Length': '30' },
      trickle: { bytes: 1, everyMs: 100 },
      untilAnswer: true,
    });
    assert.equal(slow.status, 202, slow.body);
  });
});

describe('connection caps', function () {
  this.timeout(30_000);
  const opened: net.Socket[] = [];
  afterEach(() => {
    for (const socket of opened.splice(0)) socket.destroy();
  });

  it('beyond max_connections: 503 with Retry-After in each API’s envelope, then the connection closes; beyond the answered overflow, closed unanswered', async () => {
    const srv = await startTestServer(testConfig('  max_connections: 3\n  max_connections_per_client: 0\n'));
    try {
      opened.push(...(await heldConnections(srv.url, 3)));
      const v2Answer = await rawRequest(srv.url, { method: 'GET', path: '/v2/' });
      assert.equal(v2Answer.status, 503);
      assert.equal(v2Answer.headers['retry-after'], '2');
      assert.equal(v2Answer.headers.connection, 'close');
      assert.equal(v2Answer.closed, true);
      assert.equal(v2Error(v2Answer)?.code, 'UNAVAILABLE');
      const v1Answer = await rawRequest(srv.url, { method: 'GET', path: '/v1/_ping' });
      assert.equal(v1Answer.status, 503);
      assert.deepEqual(JSON.parse(v1Answer.body), { error: 'Server is busy (too many connections), retry later' });

      // 16 more are answered (the overflow), while they stay; later ones are closed unanswered.
      const flood = await Promise.all(Array.from({ length: 30 }, () => rawRequest(srv.url, { method: 'GET', path: '/v1/_ping', giveUpMs: 5_000 })));
      const statuses = flood.map((a) => a.status);
      assert.ok(
        statuses.every((s) => s === 503 || s === null),
        String(statuses),
      );
      assert.ok(statuses.includes(503), String(statuses));
      assert.equal(srv.running.server.maxConnections, 3 + 16);

      for (const socket of opened.splice(0)) socket.destroy();
      await waitFor(async () => (await fetch(`${srv.url}/v1/_ping`)).status === 200, 'a ping is answered once the connections are gone');
      const metrics = await (await fetch(`${srv.url}/metrics`)).text();
      assert.match(metrics, /berth_limits_total\{limit="connections"\} [1-9]/);
    } finally {
      await srv.stop();
    }
  });

  it('beyond max_connections_per_client: 429, TOOMANYREQUESTS in V2', async () => {
    const srv = await startTestServer(testConfig('  max_connections: 100\n  max_connections_per_client: 2\n'));
    try {
      opened.push(...(await heldConnections(srv.url, 2)));
      const v2Answer = await rawRequest(srv.url, { method: 'GET', path: '/v2/' });
      assert.equal(v2Answer.status, 429);
      assert.equal(v2Error(v2Answer)?.code, 'TOOMANYREQUESTS');
      assert.equal(v2Answer.headers['retry-after'], '2');
      const v1Answer = await rawRequest(srv.url, { method: 'GET', path: '/v1/_ping' });
      assert.equal(v1Answer.status, 429);
      assert.deepEqual(JSON.parse(v1Answer.body), { error: 'Too many connections from this address, retry later' });
    } finally {
      await srv.stop();
    }
  });

  it('headers_timeout: a connection that sends no request, or half of one, is closed', async () => {
    const srv = await startTestServer(testConfig('  headers_timeout: 1\n  keepalive_timeout: 3\n'));
    try {
      assert.equal(srv.running.server.headersTimeout, 1000);
      assert.equal(srv.running.server.keepAliveTimeout, 3000);
      const [silent, half] = await Promise.all([
        rawRequest(srv.url, { method: 'GET', path: '/', silent: true, giveUpMs: 8_000 }),
        rawRequest(srv.url, { method: 'GET', path: '/v1/_ping', headers: { 'X-Half': 'the request never ends' }, giveUpMs: 8_000 }),
      ]);
      assert.equal(half.closed, true);
      assert.ok(half.ms < 6_000, `closed after ${half.ms} ms`);
      assert.equal(silent.closed, true);
      assert.ok(silent.ms < 6_000, `closed after ${silent.ms} ms`);
    } finally {
      await srv.stop();
    }
  });
});

describe('upload sessions per client address', function () {
  this.timeout(30_000);
  let srv: TestServer;
  let api: ReturnType<typeof v2Client>;
  before(async () => {
    srv = await startTestServer(testConfig('  max_upload_sessions_per_client: 3\n'));
    api = v2Client(srv.url);
  });
  after(() => srv.stop());

  const open = async (name = 'quota/app') => {
    const res = await api.call('POST', `/v2/${name}/blobs/uploads/`);
    return { status: res.status, location: res.headers.get('location') as string, res };
  };

  it('a POST beyond the cap is 429 TOOMANYREQUESTS with Retry-After; monolithic uploads go on; a finished, cancelled or vanished session frees its place', async () => {
    const sessions = [await open(), await open(), await open()];
    assert.deepEqual(
      sessions.map((s) => s.status),
      [202, 202, 202],
    );
    // One vanishes from storage (another worker finished it, or the purge took it): found when the cap is reached.
    const [gone, cancelled, finished] = sessions as [(typeof sessions)[0], (typeof sessions)[0], (typeof sessions)[0]];
    await srv.deps.storage.delete(v2.upload('quota/app', gone.location.split('/').at(-1) as string));
    assert.equal((await open()).status, 202, 'the vanished session no longer counts');

    const refused = await open();
    assert.equal(refused.status, 429);
    assert.equal(errorCode(refused.res), 'TOOMANYREQUESTS');
    assert.equal(refused.res.headers.get('retry-after'), '30');
    assert.equal((await open('quota/other')).status, 429, 'the cap is per address, not per repository');
    await api.pushBlob('quota/app', 'a monolithic upload opens no session');

    assert.equal((await api.call('DELETE', cancelled.location)).status, 204);
    assert.equal((await open()).status, 202, 'a cancelled session frees its place');
    assert.equal((await open()).status, 429);
    const data = Buffer.from('finished');
    assert.equal((await api.call('PUT', `${finished.location}?digest=${sha256(data)}`, { body: data })).status, 201);
    assert.equal((await open()).status, 202, 'a finished session frees its place');
    assert.match(await (await fetch(`${srv.url}/metrics`)).text(), /berth_limits_total\{limit="upload_sessions"\} [1-9]/);
  });
});

describe('out of file descriptors', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer(testConfig(), {
      extend: (app) =>
        app.use(async (ctx) => {
          if (ctx.path !== '/v1/emfile' && ctx.path !== '/v2/emfile') return;
          const cause = Object.assign(new Error('EMFILE: too many open files, open'), { code: 'EMFILE' });
          throw new Error('local: EMFILE: too many open files (images/x/layer)', { cause });
        }),
    });
  });
  after(() => srv.stop());

  it('EMFILE anywhere behind a request is a 503 with Retry-After, in each API’s envelope, not a 500', async () => {
    const v1Res = await fetch(`${srv.url}/v1/emfile`);
    assert.equal(v1Res.status, 503);
    assert.equal(v1Res.headers.get('retry-after'), '5');
    assert.deepEqual(await v1Res.json(), { error: 'Server is busy (out of file descriptors), retry later' });
    const v2Res = await fetch(`${srv.url}/v2/emfile`);
    assert.equal(v2Res.status, 503);
    assert.equal(((await v2Res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code, 'UNAVAILABLE');
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  assert.fail(`timed out: ${what}`);
}
