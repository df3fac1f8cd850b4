/**
 * A backing store that goes away and comes back, for real: Berth talks to a real Ceph RGW or
 * glance-api through a TCP proxy (test/support/fault-proxy.ts) that the test cuts (every open
 * connection reset, every new one refused) and restores. While the store is cut off, requests
 * that need it answer 503 with Retry-After in their API's own envelope (V2 UNAVAILABLE, V1
 * `{"error"}`), /_ping answers, the outage is logged once and mails nobody; nothing half
 * written becomes visible; once the store is back, without restarting Berth, the same pushes
 * succeed at once and everything that got a success answer pulls back byte-identical.
 *
 * BERTH_LONG_TESTS=1 runs more rounds, and stops and restarts the radosgw daemon itself
 * (scripts/services/rgw.sh restart-rgw: same cluster, same memstore objects).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { loadYaml, tempDir } from '../support/config.js';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.js';
import { capturingLogger, type LogLine } from '../support/log-capture.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type RgwService, s3ConfigLines, sharedGlance, startRgwForFaults } from '../support/services.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';
import { jsonOf, payload, putChunked, v1Client } from '../support/v1-client.js';
import { type Reply, sha256, v2Client } from '../support/v2-client.js';

const MiB = 1024 * 1024;
const LONG = process.env.BERTH_LONG_TESTS === '1';
const ROUNDS = LONG ? 4 : 1;
const UNAVAILABLE = { errors: [{ code: 'UNAVAILABLE', message: 'Service unavailable: the registry storage cannot be reached, retry later' }] };
const UNAVAILABLE_V1 = { error: 'Service unavailable: the registry storage cannot be reached, retry later' };
const OUTAGE_MSG = 'storage unreachable: answering 503 until it is back';
const BACK_MSG = 'storage reachable again';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Send `data` as the body of one request: the first 60 % goes out, and once the store has
 * received at least `flowing` more bytes through `proxy` (the write is really on the wire), the
 * proxy is cut and the rest is sent. Chunked unless `length` is asked for (a V2 monolithic push).
 */
function sendCutMidway(
  base: string,
  method: string,
  p: string,
  data: Buffer,
  proxy: FaultProxy,
  o: { length?: boolean; flowing?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream' };
    if (o.length) headers['Content-Length'] = data.length;
    const req = http.request(base + p, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, body, json: <T>() => JSON.parse(body.toString('utf8')) as T });
      });
    });
    req.on('error', reject); // after a response, a late EPIPE changes nothing
    (async () => {
      const first = Math.floor(data.length * 0.6);
      const before = proxy.bytesUp;
      for (let off = 0; off < first; off += 64 * 1024) req.write(data.subarray(off, Math.min(first, off + 64 * 1024)));
      const want = before + (o.flowing ?? 1 * MiB);
      for (let i = 0; i < 300 && proxy.bytesUp < want; i++) await sleep(20);
      if (proxy.bytesUp < want) throw new Error(`${method} ${p}: only ${proxy.bytesUp - before} B reached the store before the cut`);
      proxy.cut();
      for (let off = first; off < data.length; off += 64 * 1024) req.write(data.subarray(off, off + 64 * 1024));
      req.end();
    })().catch((err) => {
      req.destroy();
      reject(err);
    });
  });
}

const assertUnavailable = (res: Reply, what: string) => {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.body.toString()}`);
  assert.deepEqual(res.json(), UNAVAILABLE, what);
  assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, `${what}: Retry-After`);
};

const assertUnavailableV1 = (res: { status: number; body: Buffer; headers: Headers }, what: string) => {
  assert.equal(res.status, 503, `${what}: ${res.status} ${res.body.toString()}`);
  assert.deepEqual(JSON.parse(res.body.toString()), UNAVAILABLE_V1, what);
  assert.match(res.headers.get('retry-after') ?? '', /^\d+$/, `${what}: Retry-After`);
};

const emailLines = (sink: SmtpSink) =>
  `  email_exceptions:\n    smtp_host: 127.0.0.1\n    smtp_port: ${sink.port}\n    from_addr: registry@example.test\n    to_addr: ops@example.test\n`;

const count = (lines: LogLine[], msg: string) => lines.filter((l) => l.msg === msg).length;

describe('S3 (Ceph RGW) that goes away and comes back', function () {
  this.timeout(LONG ? 600_000 : 120_000);
  let rgw: RgwService;
  let proxy: FaultProxy;
  let sink: SmtpSink;
  let srv: TestServer;
  let api: ReturnType<typeof v2Client>;
  let v1: ReturnType<typeof v1Client>;
  const logged = capturingLogger();

  before(async function () {
    const started = await startRgwForFaults();
    if (!started) return this.skip();
    rgw = started;
    proxy = await startFaultProxy(rgw.port);
    sink = await startSmtpSink();
    const lines = (await s3ConfigLines(rgw, 'berth-faults')).replace(/boto_port: \d+/, `boto_port: ${proxy.port}`);
    const config = loadYaml(`t:\n  standalone: true\n  loglevel: error\n${lines}${emailLines(sink)}`, 't').config;
    srv = await startTestServer(config, { log: logged.log });
    api = v2Client(srv.url);
    v1 = v1Client(srv.url);
  });
  after(async () => {
    await srv?.stop();
    await proxy?.close();
    await sink?.close();
    await rgw?.stop();
  });

  /** What every round pushed with a success answer: each must pull back byte-identical. */
  const stored: Array<{ what: string; path: string; digest: string; v1?: boolean }> = [];

  const pullsBack = async (what: string) => {
    for (const s of stored) {
      const res = s.v1 ? await v1('GET', s.path) : await api.call('GET', s.path, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(res.status, 200, `${what}: ${s.what}`);
      assert.equal(sha256(res.body), s.digest, `${what}: ${s.what} byte-identical`);
    }
  };

  it('a cut mid-push, mid-pull and between requests: clean 503s, no half-written object, and the same pushes succeed once the store is back', async () => {
    const figures: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const repo = `faults/r${round}`;
      // Stored before the cut.
      const big = randomBytes(20 * MiB);
      const bigDigest = await api.pushBlob(repo, big);
      stored.push({ what: `r${round} 20 MiB blob`, path: `/v2/${repo}/blobs/${bigDigest}`, digest: bigDigest });
      const image = await api.pushImage(repo, 'v1', [randomBytes(64 * 1024)]);
      stored.push({ what: `r${round} manifest`, path: `/v2/${repo}/manifests/v1`, digest: image.digest });
      const v1Id = randomBytes(32).toString('hex');
      const v1Layer = randomBytes(3 * MiB);
      assert.equal((await v1('PUT', `/v1/images/${v1Id}/json`, { body: jsonOf(v1Id) })).status, 200);
      assert.equal(await putChunked(srv.url, `/v1/images/${v1Id}/layer`, v1Layer), 200);
      assert.equal((await v1('PUT', `/v1/images/${v1Id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(jsonOf(v1Id), v1Layer) } })).status, 200);
      stored.push({ what: `r${round} V1 layer`, path: `/v1/images/${v1Id}/layer`, digest: sha256(v1Layer), v1: true });
      const outagesBefore = count(logged.lines, OUTAGE_MSG);
      const started = Date.now();

      // 1. A monolithic push (20 MiB, so that parts are on the wire) cut midway.
      const mono = randomBytes(20 * MiB);
      const monoDigest = sha256(mono);
      assertUnavailable(
        await sendCutMidway(srv.url, 'POST', `/v2/${repo}-mono/blobs/uploads/?digest=${monoDigest}`, mono, proxy, { length: true }),
        'monolithic push',
      );
      const firstAnswer = Date.now() - started;

      // While cut off: every request that needs the store is a clean 503; Berth itself answers.
      assert.equal((await api.call('GET', '/_ping')).status, 200, '/_ping');
      assert.equal((await api.call('GET', '/v2/')).status, 200, '/v2/');
      assertUnavailable(await api.call('GET', `/v2/${repo}/blobs/${bigDigest}`), 'blob GET');
      const headDuring = await api.call('HEAD', `/v2/${repo}-mono/blobs/${monoDigest}`);
      assert.deepEqual([headDuring.status, /^\d+$/.test(headDuring.headers.get('retry-after') ?? '')], [503, true], 'blob HEAD');
      assertUnavailable(await api.putManifest(repo, 'cut', image.bytes.toString()), 'manifest PUT');
      assertUnavailableV1(await v1('GET', `/v1/images/${v1Id}/json`), 'V1 json GET');
      assertUnavailable(await api.call('POST', `/v2/${repo}/blobs/uploads/`), 'new upload session');

      // Seven refused requests, one outage: one log line; the first answer from the store closes it.
      assert.equal(count(logged.lines, OUTAGE_MSG) - outagesBefore, 1, 'the outage is logged once');
      const endsBefore = count(logged.lines, BACK_MSG);

      // 2. A chunked PATCH cut midway (its session opened before the cut).
      proxy.restore();
      const session = await api.call('POST', `/v2/${repo}/blobs/uploads/`);
      assert.equal(session.status, 202);
      assert.equal(count(logged.lines, BACK_MSG) - endsBefore, 1, 'the end of the outage is logged once');
      const location = session.headers.get('location') ?? '';
      const chunk = randomBytes(20 * MiB);
      const chunkDigest = sha256(chunk);
      assertUnavailable(await sendCutMidway(srv.url, 'PATCH', location, chunk, proxy), 'PATCH');

      // 3. A V1 layer, chunked as Docker 1.x sends it, cut midway (its json put before the cut).
      proxy.restore();
      const id = randomBytes(32).toString('hex');
      const layer = randomBytes(20 * MiB);
      assert.equal((await v1('PUT', `/v1/images/${id}/json`, { body: jsonOf(id) })).status, 200);
      const layerReply = await sendCutMidway(srv.url, 'PUT', `/v1/images/${id}/layer`, layer, proxy);
      assertUnavailableV1(layerReply, 'V1 layer PUT');

      // 4. A pull in flight when the store goes: the client gets the right bytes or a cut, never other bytes.
      proxy.restore();
      const pull = await fetch(`${srv.url}/v2/${repo}/blobs/${bigDigest}`);
      assert.equal(pull.status, 200);
      const reader = (pull.body as ReadableStream<Uint8Array>).getReader();
      const got: Uint8Array[] = [];
      const head = await reader.read();
      if (head.value) got.push(head.value);
      proxy.cut();
      let truncated = false;
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read()) got.push(r.value);
      } catch {
        truncated = true;
      }
      const pulled = Buffer.concat(got);
      if (!truncated) assert.equal(sha256(pulled), bigDigest, 'a pull that completes has the stored bytes');
      else assert.ok(pulled.length < big.length, 'a cut pull is short, not complete');
      assert.equal((await api.call('GET', '/_ping')).status, 200, '/_ping after the pull');

      assert.equal(
        logged.lines.filter((l) => l.msg === 'unexpected error').length,
        0,
        `no unexpected errors: ${JSON.stringify(logged.lines.find((l) => l.msg === 'unexpected error'))}`,
      );

      // The store is back: no restart of Berth, the first try of each push succeeds.
      proxy.restore();
      const backAt = Date.now();
      assert.equal((await api.call('HEAD', `/v2/${repo}-mono/blobs/${monoDigest}`)).status, 404, 'no half-written monolithic blob');
      const firstAfter = Date.now() - backAt;
      assert.equal((await api.call('HEAD', `/v2/${repo}/blobs/${chunkDigest}`)).status, 404, 'no half-written chunked blob');
      assert.equal((await api.call('GET', `/v2/${repo}/manifests/cut`)).status, 404, 'no tag from the failed manifest PUT');
      const inProgress = await v1('GET', `/v1/images/${id}/layer`);
      assert.deepEqual([inProgress.status, JSON.parse(inProgress.body.toString())], [400, { error: 'Image is being uploaded, retry later' }], 'no V1 layer');
      await pullsBack('after the cut');

      assert.equal(await api.pushBlob(`${repo}-mono`, mono), monoDigest, 'the monolithic push again');
      const range = (await api.call('GET', location)).headers.get('range');
      assert.equal(range, '0-0', 'the session kept nothing of the failed PATCH');
      assert.equal((await api.call('PATCH', location, { body: chunk })).status, 202, 'the PATCH again');
      assert.equal((await api.call('PUT', `${location}?digest=${chunkDigest}`)).status, 201);
      assert.equal((await api.putManifest(repo, 'cut', image.bytes.toString())).status, 201, 'the manifest PUT again');
      assert.equal(await putChunked(srv.url, `/v1/images/${id}/layer`, layer), 200, 'the V1 layer again');
      assert.equal((await v1('PUT', `/v1/images/${id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(jsonOf(id), layer) } })).status, 200);
      stored.push(
        { what: `r${round} monolithic blob after the cut`, path: `/v2/${repo}-mono/blobs/${monoDigest}`, digest: monoDigest },
        { what: `r${round} chunked blob after the cut`, path: `/v2/${repo}/blobs/${chunkDigest}`, digest: chunkDigest },
        { what: `r${round} tag after the cut`, path: `/v2/${repo}/manifests/cut`, digest: image.digest },
        { what: `r${round} V1 layer after the cut`, path: `/v1/images/${id}/layer`, digest: sha256(layer), v1: true },
      );
      await pullsBack('after the pushes again');
      figures.push(
        `round ${round}: first 503 after ${firstAnswer} ms, first answer ${firstAfter} ms after the restore, pull ${truncated ? 'cut short' : 'complete'}`,
      );
    }
    await srv.deps.mailer?.idle();
    assert.deepEqual(sink.mails, [], 'an unreachable store mails nobody');
    process.stdout.write(`      RGW cut (${ROUNDS} round(s)): ${figures.join('; ')}\n`);
  });

  (LONG ? it : it.skip)('radosgw itself stopped and restarted: 503 while it is down, then the same push and every stored object pulls back', async () => {
    const repo = 'faults/restart';
    const before = randomBytes(4 * MiB);
    const beforeDigest = await api.pushBlob(repo, before);
    stored.push({ what: 'blob before the restart', path: `/v2/${repo}/blobs/${beforeDigest}`, digest: beforeDigest });
    await rgw.stopRgw();
    const blob = randomBytes(4 * MiB);
    const digest = sha256(blob);
    assertUnavailable(await api.call('POST', `/v2/${repo}/blobs/uploads/?digest=${digest}`, { body: blob }), 'push with radosgw down');
    assertUnavailable(await api.call('GET', `/v2/${repo}/blobs/${beforeDigest}`), 'pull with radosgw down');
    assert.equal((await api.call('GET', '/_ping')).status, 200);
    const down = Date.now();
    await rgw.startRgw();
    const restartMs = Date.now() - down;
    assert.equal(await api.pushBlob(repo, blob), digest, 'the push again');
    stored.push({ what: 'blob after the restart', path: `/v2/${repo}/blobs/${digest}`, digest });
    await pullsBack('after the radosgw restart');
    process.stdout.write(`      radosgw restart: ready again ${restartMs} ms after its start began; ${stored.length} objects pulled back identical\n`);
  });
});

describe('Glance that goes away mid-push', function () {
  this.timeout(LONG ? 300_000 : 60_000);
  let proxy: FaultProxy;
  let srv: TestServer;
  let v1: ReturnType<typeof v1Client>;
  const logged = capturingLogger();

  before(async function () {
    const glance = await sharedGlance();
    if (!glance) return this.skip();
    proxy = await startFaultProxy(Number(new URL(glance.url).port));
    const yaml = `t:\n  standalone: true\n  loglevel: error\n  storage: glance\n  glance_url: http://127.0.0.1:${proxy.port}\n  storage_alternate: file\n  storage_path: ${tempDir()}\n`;
    srv = await startTestServer(loadYaml(yaml, 't').config, { log: logged.log });
    v1 = v1Client(srv.url);
  });
  after(async () => {
    await srv?.stop();
    await proxy?.close();
  });

  /**
   * What the alternate can take: docker-registry's glance driver had no failure fallback at all
   * (storage_alternate held repositories/ only). Berth's GlanceDriver writes an image object to
   * the alternate when Glance fails as that write starts (test/storage/glance.test.ts), but a
   * V1 push reads the image's json from Glance first, so with Glance gone the retry cannot get
   * that far: it answers 503 too, and goes through once Glance is back. Berth does not resend a
   * layer it was half-way through on its own (the body is gone; it would have to spool it).
   */
  it('a cut mid-layer answers 503 in the V1 envelope and leaves no layer; once Glance is back the retried push lands and pulls back', async () => {
    const figures: string[] = [];
    const alternateRoot = srv.deps.config.storage_path ?? '';
    for (let round = 0; round < ROUNDS; round++) {
      const stored = randomBytes(32).toString('hex');
      const storedLayer = randomBytes(2 * MiB);
      assert.equal((await v1('PUT', `/v1/images/${stored}/json`, { body: jsonOf(stored) })).status, 200);
      assert.equal(await putChunked(srv.url, `/v1/images/${stored}/layer`, storedLayer), 200);
      assert.equal(
        (await v1('PUT', `/v1/images/${stored}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(jsonOf(stored), storedLayer) } })).status,
        200,
      );
      const outagesBefore = count(logged.lines, OUTAGE_MSG);

      const id = randomBytes(32).toString('hex');
      const layer = randomBytes(20 * MiB);
      assert.equal((await v1('PUT', `/v1/images/${id}/json`, { body: jsonOf(id) })).status, 200);
      assertUnavailableV1(await sendCutMidway(srv.url, 'PUT', `/v1/images/${id}/layer`, layer, proxy), 'V1 layer PUT cut midway');
      assert.equal((await v1('GET', '/_ping')).status, 200, '/_ping');
      assertUnavailableV1(await v1('GET', `/v1/images/${stored}/layer`), 'a pull of a layer only Glance holds');
      const retry = await v1('PUT', `/v1/images/${id}/layer`, { body: layer });
      assertUnavailableV1(retry, 'the retry while Glance is still gone (it must read the json from Glance first)');
      assert.equal(count(logged.lines, OUTAGE_MSG) - outagesBefore, 1, 'the outage is logged once');
      assert.deepEqual(
        logged.lines.filter((l) => l.msg === 'unexpected error'),
        [],
        'no unexpected errors',
      );

      proxy.restore();
      const inProgress = await v1('GET', `/v1/images/${id}/layer`);
      assert.deepEqual(
        [inProgress.status, JSON.parse(inProgress.body.toString())],
        [400, { error: 'Image is being uploaded, retry later' }],
        'no half-written layer',
      );
      assert.equal(sha256((await v1('GET', `/v1/images/${stored}/layer`)).body), sha256(storedLayer), 'the stored layer pulls back');
      assert.equal(await putChunked(srv.url, `/v1/images/${id}/layer`, layer), 200, 'the retry once Glance is back');
      assert.equal((await v1('PUT', `/v1/images/${id}/checksum`, { headers: { 'X-Docker-Checksum-Payload': payload(jsonOf(id), layer) } })).status, 200);
      const pulled = await v1('GET', `/v1/images/${id}/layer`);
      assert.equal(sha256(pulled.body), sha256(layer), 'the retried layer pulls back byte-identical');
      assert.equal(existsSync(path.join(alternateRoot, 'images', id, 'layer')), false, 'the layer is in Glance, no copy left on the alternate');
      figures.push(`round ${round}: ${layer.length} B layer cut, 503, retried into Glance`);
    }
    process.stdout.write(`      Glance cut (${ROUNDS} round(s)): ${figures.join('; ')}\n`);
  });
});
