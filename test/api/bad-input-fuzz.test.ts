/**
 * Generated bad input over every route of the route table (so routes added later are covered
 * without anyone listing them), sent byte for byte over raw sockets: malformed and huge JSON,
 * wrong and overlong ids, names, tags and digests, path tricks, lying Content-Length, cut and
 * oversized chunked bodies, absurd Range and Content-Range, odd methods. On a standalone
 * server, and on one with its own auth (most requests carrying a user's credentials). What
 * must hold:
 *
 *   - no 5xx answer, and no error logged (an unexpected error, a failed background job);
 *   - no exception mail reaches the (real) SMTP listener;
 *   - the server still answers /_ping afterwards;
 *   - nothing appears or changes outside the storage root (canary directories around it);
 *   - a batch of requests that were all refused (4xx) leaves the store exactly as it was.
 *
 * Requests go out in concurrent batches. After each batch, once every request of it has left
 * Berth's middleware and the V1/V2 bridge is idle, the store's tree is fingerprinted (sizes,
 * mtimes, inodes) and compared with the one before. A batch with an answer that may change the
 * store (2xx/3xx), or a request with no answer, may change it; any other batch must not. Most
 * batches are of requests with one defect each, so most refusals are compared: the figures
 * say how many were. A request whose body framing breaks (a lying length, a cut chunk) on a
 * route that acts on the request head alone (a DELETE, a POST that opens an upload) counts as
 * one that may change the store: Node refuses it with a 400 when it reaches the bad bytes, but
 * the route may rightly have acted by then, as any server that does not read such a body would.
 *
 * The seed is printed; BERTH_FUZZ_SEED=<seed> replays a run. Every run sends 10,000 requests to
 * the standalone server and 2,500 to the one with auth: 35 s and 9 s on the 2-core machine
 * (75–135 s for the 10,000 while four other test suites ran on it). BERTH_LONG_TESTS=1 sends
 * five times as many; BERTH_FUZZ_REQUESTS sets the standalone count (the auth run gets a quarter).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import type Koa from 'koa';
import { pino } from 'pino';
import { routeTableOf } from '../../lib/app.js';
import type { RequestState } from '../../lib/http/state.js';
import { basic, htpasswdLines } from '../support/auth-server.js';
import { loadYaml, tempDir } from '../support/config.js';
import { type TreePrint, treeDiff, treePrint } from '../support/file-tree.js';
import type { BodyPools } from '../support/fuzz/bodies.js';
import { seededRandom, seedFromEnv } from '../support/fuzz/random.js';
import { type FuzzRequest, requestGenerator } from '../support/fuzz/requests.js';
import type { Pools } from '../support/fuzz/values.js';
import { gzipLayer } from '../support/layers.js';
import { type RawExchange, rawExchange } from '../support/raw-exchange.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type SmtpSink, startSmtpSink } from '../support/smtp.js';
import { payload } from '../support/v1-client.js';
import { DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, v2Client } from '../support/v2-client.js';

const LONG = process.env.BERTH_LONG_TESTS === '1';
const STANDALONE_REQUESTS = Number(process.env.BERTH_FUZZ_REQUESTS ?? (LONG ? 50_000 : 10_000));
const CONCURRENCY = 8;
const UA_V1 = 'docker/1.3.0 go/go1.3.3 git-commit/c78088f kernel/3.13.0 os/linux arch/amd64';
const ID_BASE = 'b'.repeat(64);
const ID_CHILD = `c${'a'.repeat(63)}`;
const ALICE = basic('alice', 'alice-pw').Authorization;
const SEED = seedFromEnv();

interface Outcome {
  req: FuzzRequest;
  ex: RawExchange;
  ms: number;
}

const SETUPS: Array<{ label: string; requests: number; auth: boolean }> = [
  { label: 'standalone', requests: STANDALONE_REQUESTS, auth: false },
  { label: 'with its own auth', requests: Math.ceil(STANDALONE_REQUESTS / 4), auth: true },
];

for (const setup of SETUPS) {
  describe(`bad input: generated requests over every route (${setup.label})`, function () {
    this.timeout(LONG ? 1_800_000 : 400_000);
    const seed = SEED;
    const total = setup.requests;
    const credentials = setup.auth ? { Authorization: ALICE } : {};
    let srv: TestServer;
    let sink: SmtpSink;
    let top: string;
    let store: string;
    let inflight = 0;
    const inflightRequests = new Set<string>();
    const errorLines: Array<Record<string, unknown>> = [];
    const pools: Record<string, string[]> = {};
    const bodies = {
      ids: [] as string[],
      blobs: [] as BodyPools['blobs'][number][],
      configs: [] as BodyPools['configs'][number][],
      manifests: [] as BodyPools['manifests'][number][],
    };

    before(async () => {
      // top/canary, top/a/canary, top/a/b/canary around the store at top/a/b/store: a path trick
      // that gets out of the store lands next to one of them.
      top = tempDir('berth-fuzz-');
      store = path.join(top, 'a', 'b', 'store');
      for (const dir of ['', 'a', 'a/b']) {
        mkdirSync(path.join(top, dir, 'canary'), { recursive: true });
        writeFileSync(path.join(top, dir, 'canary', 'planted'), 'canary\n');
        writeFileSync(path.join(top, dir, 'sibling.txt'), 'sibling\n');
      }
      mkdirSync(store);
      sink = await startSmtpSink();
      const log = pino(
        { level: 'info' },
        new Writable({
          write(chunk: Buffer, _enc, done) {
            for (const line of chunk.toString('utf8').split('\n')) {
              if (!line) continue;
              const parsed = JSON.parse(line) as Record<string, unknown>;
              if (Number(parsed.level) >= 50) errorLines.push(parsed);
            }
            done();
          },
        }),
      );
      const private_ = tempDir('berth-fuzz-private-');
      let auth = '';
      if (setup.auth) {
        writeFileSync(path.join(private_, 'htpasswd'), `${htpasswdLines().join('\n')}\n`);
        auth = `  auth:\n    htpasswd:\n      path: ${path.join(private_, 'htpasswd')}\n  secret_key: fuzz-secret-0123456789\n`;
      }
      const yaml = `t:
  standalone: true
  storage_path: ${store}
  lock_dir: ${path.join(private_, 'locks')}
  search_backend: sqlalchemy
  sqlalchemy_index_database: sqlite:///${path.join(private_, 'index.db')}
  email_exceptions:
    smtp_host: 127.0.0.1
    smtp_port: ${sink.port}
    from_addr: registry@example.test
    to_addr: ops@example.test
${auth}`;
      srv = await startTestServer(loadYaml(yaml, 't').config, {
        log,
        // Outermost: counts a request until Berth's whole middleware stack is done with it.
        extend: (app: Koa<RequestState>) =>
          app.middleware.unshift(async (ctx, next) => {
            const request = `${ctx.method} ${ctx.url.slice(0, 200)}`;
            inflight++;
            inflightRequests.add(request);
            try {
              await next();
            } finally {
              inflight--;
              inflightRequests.delete(request);
            }
          }),
      });
      await seedStore();
    });

    after(async () => {
      await srv?.stop();
      await sink?.close();
    });

    /** Real content for the generated requests to find: two V1 images in a repository, a V2 image, an index, an open upload. */
    async function seedStore() {
      const v1 = (method: string, p: string, body?: Buffer | string, headers: Record<string, string> = {}) =>
        fetch(srv.url + p, { method, headers: { 'User-Agent': UA_V1, ...credentials, ...headers }, ...(body !== undefined ? { body } : {}) });
      for (const [id, parent] of [
        [ID_BASE, undefined],
        [ID_CHILD, ID_BASE],
      ] as const) {
        const json = Buffer.from(JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2014-06-01T00:00:00Z' }));
        const layer = (await gzipLayer({ [`${id.slice(0, 4)}.txt`]: `${id}\n` })).bytes;
        assert.equal((await v1('PUT', `/v1/images/${id}/json`, json)).status, 200);
        assert.equal((await v1('PUT', `/v1/images/${id}/layer`, layer)).status, 200);
        assert.equal((await v1('PUT', `/v1/images/${id}/checksum`, undefined, { 'X-Docker-Checksum-Payload': payload(json, layer) })).status, 200);
      }
      assert.equal((await v1('PUT', '/v1/repositories/ns/repo/', JSON.stringify([{ id: ID_BASE }, { id: ID_CHILD }]))).status, 200);
      assert.equal((await v1('PUT', '/v1/repositories/ns/repo/tags/latest', JSON.stringify(ID_CHILD))).status, 200);
      assert.equal((await v1('PUT', '/v1/repositories/ns/repo/tags/old', JSON.stringify(ID_BASE))).status, 200);

      const api = v2Client(srv.url);
      const call = (method: string, p: string, body?: string) =>
        api.call(method, p, {
          headers: { 'User-Agent': 'containerd/v2.1.1', ...credentials, 'Content-Type': 'application/octet-stream' },
          ...(body ? { body } : {}),
        });
      const layer = await gzipLayer({ 'v2.txt': 'v2\n' });
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [layer.diffId] } }));
      const blobs: Array<[Buffer, string]> = [
        [layer.bytes, layer.digest],
        [config, `sha256:${(await import('node:crypto')).createHash('sha256').update(config).digest('hex')}`],
      ];
      for (const [bytes, digest] of blobs) {
        const res = await api.call('POST', `/v2/fuzz/app/blobs/uploads/?digest=${digest}`, {
          body: bytes,
          headers: { 'User-Agent': 'containerd/v2.1.1', 'Content-Type': 'application/octet-stream', ...credentials },
        });
        assert.equal(res.status, 201, res.body.toString());
      }
      const configDigest = (blobs[1] as [Buffer, string])[1];
      const manifests: BodyPools['manifests'][number][] = [];
      for (const [tag, mediaType, layerType, configType] of [
        ['v1', OCI_MANIFEST, 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.config.v1+json'],
        ['docker', DOCKER_MANIFEST, 'application/vnd.docker.image.rootfs.diff.tar.gzip', 'application/vnd.docker.container.image.v1+json'],
      ] as const) {
        const bytes = Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType,
            config: { mediaType: configType, size: config.length, digest: configDigest },
            layers: [{ mediaType: layerType, size: layer.bytes.length, digest: layer.digest }],
          }),
        );
        const res = await api.call('PUT', `/v2/fuzz/app/manifests/${tag}`, {
          body: bytes,
          headers: { 'User-Agent': 'containerd/v2.1.1', 'Content-Type': mediaType, ...credentials },
        });
        assert.equal(res.status, 201, res.body.toString());
        manifests.push({ digest: res.headers.get('docker-content-digest') ?? '', size: bytes.length, mediaType, bytes });
      }
      const [oci] = manifests as [BodyPools['manifests'][number]];
      const index = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest: oci.digest, size: oci.size, platform: { os: 'linux', architecture: 'amd64' } }],
      });
      const put = await api.call('PUT', '/v2/fuzz/app/manifests/multi', {
        body: index,
        headers: { 'User-Agent': 'containerd/v2.1.1', 'Content-Type': OCI_INDEX, ...credentials },
      });
      assert.equal(put.status, 201);
      const upload = await call('POST', '/v2/fuzz/app/blobs/uploads/');
      assert.equal(upload.status, 202);
      await srv.services.bridge?.idle();

      const manifestDigests = manifests.map((m) => m.digest);
      Object.assign(pools, {
        '*name': ['fuzz/app', 'ns/repo'],
        ':reference': ['v1', 'docker', 'multi', 'latest', ...manifestDigests],
        ':digest': [layer.digest, configDigest, ...manifestDigests],
        ':subject': manifestDigests,
        ':uuid': [upload.headers.get('docker-upload-uuid') ?? ''],
        '*repository': ['ns/repo', 'repo', 'fuzz/app'],
        ':id': [ID_BASE, ID_CHILD],
        ':tag': ['latest', 'old'],
        ':username': ['fuzz', 'alice'],
      });
      bodies.ids.push(ID_BASE, ID_CHILD);
      bodies.blobs.push({ digest: layer.digest, size: layer.bytes.length, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' });
      bodies.configs.push({ digest: configDigest, size: config.length });
      bodies.manifests.push(...manifests);
    }

    /**
     * Wait until no request is in Berth's middleware and the bridge has no work queued. Bounded
     * by 45 s: a V1 `PUT json` racing another push of its image waits up to 30 s for that push's
     * lease, and a body that stops coming is cut after body_min_rate_interval (30 s); longer is a hang.
     */
    async function quiet() {
      for (let i = 0; inflight > 0; i++) {
        if (i > 9000) throw new Error(`${inflight} request(s) still in flight after 45 s: ${[...inflightRequests].join(', ')}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      await srv.services.bridge?.idle();
    }

    it(`answers ${total} generated requests without a 5xx, a crash, a mail, or a stray write`, async () => {
      const table = routeTableOf(srv.app);
      const port = Number(new URL(srv.url).port);
      const r = seededRandom(seed);
      const gen = requestGenerator(table.routes, pools as Pools, bodies, r, setup.auth ? ALICE : undefined);
      const storeRel = path.join('a', 'b', 'store');
      const isStore = (rel: string) => rel === storeRel || rel.startsWith(`${storeRel}${path.sep}`);
      const outsideBefore = treePrint(top, isStore);
      // Above the temp dir no canary can be planted by us; the tricks aim at `canary/planted`.
      const aboveTop = ancestors(top).map((dir) => path.join(dir, 'canary'));
      const presentAbove = new Set(aboveTop.filter((p) => existsSync(p)));
      const send = (req: FuzzRequest): Promise<Outcome> => {
        const started = performance.now();
        const options = { methods: req.methods, timeoutMs: 15_000, ...(req.unfinished ? { finAfterMs: 150 } : {}) };
        return rawExchange(port, req.bytes, options).then((ex) => ({ req, ex, ms: performance.now() - started }));
      };

      const byClass: Record<string, number> = {};
      const byRoute = new Map<string, number>();
      const serverErrors: Outcome[] = [];
      const storeChanges: string[] = [];
      let compared = 0;
      let refused = 0;
      let accepted = 0;
      const timeouts: Outcome[] = [];
      let slowest: Outcome | null = null;

      const started = performance.now();
      await quiet();
      // The client activity record (the web page's migration view) is written by a timer, from
      // earlier requests that succeeded: not something a refusal did.
      const background = (rel: string) => rel.startsWith(path.join('berth', 'activity'));
      let print: TreePrint = treePrint(store, background);
      for (let sent = 0; sent < total; ) {
        const size = Math.min(CONCURRENCY, total - sent);
        const mode = r.weighted([
          [65, 'refusal'],
          [15, 'framing'],
          [20, 'mixed'],
        ] as const);
        const batch = Array.from({ length: size }, () => gen.next(mode));
        sent += size;
        const outcomes = await Promise.all(batch.map(send));
        await quiet();
        const after = treePrint(store, background);

        let mayChange = false;
        for (const o of outcomes) {
          byRoute.set(o.req.route, (byRoute.get(o.req.route) ?? 0) + 1);
          if (!slowest || o.ms > slowest.ms) slowest = o;
          if (o.ex.end === 'timeout') timeouts.push(o);
          if (o.req.headActsFirst || o.ex.responses.length === 0) mayChange = true;
          if (o.ex.responses.length === 0) byClass.none = (byClass.none ?? 0) + 1;
          for (const res of o.ex.responses) {
            const cls = `${Math.floor(res.status / 100)}xx`;
            byClass[cls] = (byClass[cls] ?? 0) + 1;
            if (res.status >= 500) serverErrors.push(o);
            if (res.status < 400) mayChange = true;
            if (res.status < 400 && o.req.hostile && mode === 'refusal') accepted++;
          }
        }
        const refusals = outcomes.filter((o) => o.ex.responses.length > 0 && o.ex.responses.every((x) => x.status >= 400 && x.status < 500)).length;
        refused += refusals;
        const diff = treeDiff(print, after);
        // An unchanged store shows that the refusals in the batch changed nothing, whatever else it held.
        if (diff.length === 0 || !mayChange) compared += refusals;
        if (diff.length > 0 && !mayChange) {
          const lines = outcomes.map((o) => `\n    ${o.ex.responses.map((x) => x.status).join(',')} ${show(o.req)}`).join('');
          storeChanges.push(`a batch of refusals:${lines}\n  changed:\n    ${diff.slice(0, 10).join('\n    ')}`);
        }
        print = after;
      }
      const seconds = (performance.now() - started) / 1000;

      await srv.deps.mailer?.idle();
      const ping = await fetch(`${srv.url}/_ping`);
      const outsideAfter = treePrint(top, isStore);
      const plantedAbove = aboveTop.filter((p) => existsSync(p) && !presentAbove.has(p));

      const classes = Object.entries(byClass)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      console.log(
        `      seed ${seed}: ${total} requests over ${byRoute.size} routes in ${seconds.toFixed(1)} s (${Math.round(total / seconds)}/s, ${CONCURRENCY} at a time)\n` +
          `      answers: ${classes}; ${timeouts.length} timed out\n` +
          `      the store was compared around ${compared} of ${refused} refusals (4xx); ${accepted} requests with a defect were accepted (2xx/3xx)\n` +
          `      slowest: ${slowest ? `${Math.round(slowest.ms)} ms, ${show(slowest.req)}` : '-'}`,
      );

      const replay = `(BERTH_FUZZ_SEED=${seed} replays this run)`;
      assert.deepEqual(
        serverErrors
          .slice(0, 10)
          .map((o) => `${o.ex.responses.map((x) => x.status).join(',')} ${show(o.req)} → ${o.ex.responses[0]?.body.toString('utf8').slice(0, 300)}`),
        [],
        `${serverErrors.length} 5xx answer(s) ${replay}`,
      );
      assert.deepEqual(
        errorLines.slice(0, 10).map((l) => `${l.msg} ${l.method ?? ''} ${String(l.path ?? '').slice(0, 100)}: ${JSON.stringify(l.err ?? '').slice(0, 600)}`),
        [],
        `errors logged ${replay}`,
      );
      assert.equal(sink.mails.length, 0, `exception mails: ${sink.mails.map((m) => m.text.slice(0, 300)).join('\n---\n')} ${replay}`);
      assert.equal(ping.status, 200, 'the server still answers /_ping');
      assert.ok(srv.running.server.listening, 'and still listens');
      assert.deepEqual(treeDiff(outsideBefore, outsideAfter), [], `nothing is written outside the storage root ${replay}`);
      assert.deepEqual(plantedAbove, [], `nothing planted above the temp dir ${replay}`);
      assert.deepEqual(storeChanges.slice(0, 5), [], `${storeChanges.length} batch(es) of refusals changed the store ${replay}`);
      assert.deepEqual(
        timeouts.map((o) => `${o.ex.responses.map((x) => x.status).join(',')} ${show(o.req)}`),
        [],
        `exchanges the server left open ${replay}`,
      );
      for (const route of table.routes) {
        const key = `${route.method.toUpperCase()} ${route.path}`;
        assert.ok((byRoute.get(key) ?? 0) >= Math.floor((total * 0.9) / table.routes.length), `${key}: only ${byRoute.get(key) ?? 0} requests`);
      }
      assert.ok(compared >= refused * 0.6, `the store was compared around only ${compared} of ${refused} refusals`);
    });
  });
}

function show(req: FuzzRequest): string {
  return `${req.method.slice(0, 20)} ${req.target.slice(0, 160)}${req.target.length > 160 ? `…(${req.target.length})` : ''} [${req.how.join(' ').slice(0, 300)}]`;
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}
