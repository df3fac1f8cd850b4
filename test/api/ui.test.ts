/**
 * The web page's routes and JSON API through real HTTP: with auth on, the page asks for the
 * registry's own Basic credentials and shows each user only what they may pull (never a
 * secret); every /ui/ answer carries the strict Content-Security-Policy; `ui: false` removes
 * the page; bad input is a V1-style error with its status; 10,000-repository stores are paged
 * on the server.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { ALICE, authServer, BOB, CAROL } from '../support/auth-server.js';
import { loadYaml, tempDir, testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

const get = (srv: TestServer, p: string, headers: Record<string, string> = {}) => fetch(srv.url + p, { headers });

async function pushSmall(srv: TestServer, name: string, tag: string, who: Record<string, string> = {}): Promise<void> {
  const api = v2Client(srv.url);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
  const h = { ...who, 'User-Agent': 'containerd/v2.1.1' };
  const blob = await api.call('POST', `/v2/${name}/blobs/uploads/?digest=sha256:${sha(config)}`, { body: config, headers: h });
  assert.equal(blob.status, 201, blob.body.toString());
  const manifest = {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: `sha256:${sha(config)}` },
    layers: [],
  };
  const put = await api.call('PUT', `/v2/${name}/manifests/${tag}`, { body: JSON.stringify(manifest), headers: { ...h, 'Content-Type': DOCKER_MANIFEST } });
  assert.equal(put.status, 201, put.body.toString());
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('ui: the page and its API with auth on', function () {
  this.timeout(60_000);
  let srv: TestServer;
  before(async () => {
    execFileSync(process.execPath, [path.join(INSTALL_DIR, 'scripts', 'build-ui.mjs')]);
    srv = await authServer();
    await pushSmall(srv, 'alice/secret-app', 'v1', ALICE);
    await pushSmall(srv, 'library/shared', 'v1', ALICE);
  });
  after(() => srv?.stop());

  it('the page asks for the registry credentials (Basic), under a strict CSP; its code is public', async () => {
    const none = await get(srv, '/ui/');
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="Berth Test"');
    assert.match(none.headers.get('content-security-policy') ?? '', /^default-src 'self'; script-src 'self'; style-src 'self';/);
    for (const view of ['/ui/', '/ui/migration', '/ui/r/library/shared', '/ui/r/library/shared/t/v1']) {
      const page = await get(srv, view, BOB);
      assert.equal(page.status, 200, view);
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const html = await page.text();
      assert.match(html, /<script type="module" src="\/ui\/assets\/app\.js"><\/script>/);
      assert.doesNotMatch(html, /<script>|<style|\son[a-z]+=/, 'no inline script or style');
    }
    const js = await get(srv, '/ui/assets/app.js', { 'Accept-Encoding': 'gzip' });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-security-policy')?.includes("default-src 'self'"), true);
  });

  it('each user sees only the repositories they may pull, in the list, the tags and the migration view', async () => {
    const list = async (who: Record<string, string>) =>
      ((await (await get(srv, '/ui/api/repositories', who)).json()) as { items: Array<{ name: string }> }).items.map((i) => i.name);
    assert.deepEqual(await list(ALICE), ['alice/secret-app', 'library/shared']);
    assert.deepEqual(await list(BOB), ['library/shared']);
    assert.deepEqual(await list(CAROL), []);
    assert.equal((await get(srv, '/ui/api/repositories/alice/secret-app/tags', BOB)).status, 403);
    const tags = (await (await get(srv, '/ui/api/repositories/library/shared/tags', BOB)).json()) as { tags: Array<{ tag: string }>; mayDelete: boolean };
    assert.deepEqual(
      tags.tags.map((t) => t.tag),
      ['v1'],
    );
    assert.equal(tags.mayDelete, false, 'bob may not delete');
    assert.equal(((await (await get(srv, '/ui/api/repositories/library/shared/tags', ALICE)).json()) as { mayDelete: boolean }).mayDelete, true);
    assert.equal((await fetch(`${srv.url}/ui/api/repositories/library/shared/tags/v1`, { method: 'DELETE', headers: BOB })).status, 403);

    await srv.services.activity?.flush();
    const migration = await (await get(srv, '/ui/api/migration', BOB)).text();
    const parsed = JSON.parse(migration) as { counts: { repositories: number }; clients: Array<{ repositories: Array<{ name: string }> }> };
    assert.equal(parsed.counts.repositories, 1);
    assert.deepEqual(
      parsed.clients.flatMap((c) => c.repositories.map((u) => u.name)),
      ['library/shared'],
    );
    assert.doesNotMatch(migration, /secret-app|alice-pw|test-secret|127\.0\.0\.1/, 'nothing bob may not see, no secret, no address (record_addresses is off)');
  });

  it('bad input is a V1 error with its status', async () => {
    const page = await get(srv, '/ui/api/repositories?page=0', ALICE);
    assert.equal(page.status, 400);
    assert.deepEqual(await page.json(), { error: 'page must be a whole number from 1' });
    const missing = await get(srv, '/ui/api/repositories/alice/none/tags', ALICE);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { error: 'Repository not found' });
    const noTag = await get(srv, '/ui/api/repositories/library/shared/tags/nope', ALICE);
    assert.equal(noTag.status, 404);
    assert.deepEqual(await noTag.json(), { error: 'Tag not found' });
    const badName = await get(srv, '/ui/api/repositories/alice/a%22b/tags', ALICE);
    assert.equal(badName.status, 400);
  });
});

describe('ui: off, deletes off, and paging', function () {
  this.timeout(60_000);

  it('ui: false removes the page and its API (and records no client activity)', async () => {
    const srv = await startTestServer(testConfig('  ui: false\n'));
    try {
      assert.equal(srv.services.activity, null);
      for (const p of ['/ui/', '/ui/api/repositories', '/ui/assets/app.js']) {
        const res = await get(srv, p);
        assert.equal(res.status, 404, p);
        assert.equal(res.headers.get('content-security-policy'), null);
      }
    } finally {
      await srv.stop();
    }
  });

  it('ui.record_addresses: the migration view shows where each client connected from', async () => {
    const srv = await startTestServer(testConfig('  ui:\n    record_addresses: true\n'));
    try {
      await pushSmall(srv, 'ns/app', 'latest');
      const reply = (await (await get(srv, '/ui/api/migration')).json()) as { recordsAddresses: boolean; clients: Array<{ agent: string; address?: string }> };
      assert.equal(reply.recordsAddresses, true);
      assert.deepEqual(
        reply.clients.map((c) => [c.agent, c.address]),
        [['containerd/v2.1.1', '127.0.0.1']],
      );
    } finally {
      await srv.stop();
    }
  });

  it("V1 token mode without Berth's own auth: no page (the external index decides who reads what, and the page cannot ask it)", async () => {
    const srv = await startTestServer(loadYaml(`t:\n  storage_path: ${tempDir()}\n  standalone: false\n  loglevel: error\n`, 't').config);
    try {
      assert.equal(srv.services.ui, null);
      assert.equal((await get(srv, '/ui/')).status, 404);
    } finally {
      await srv.stop();
    }
  });

  it('storage_delete_enabled: false: no delete button, and a DELETE is 405', async () => {
    const srv = await startTestServer(testConfig('  storage_delete_enabled: false\n'));
    try {
      await pushSmall(srv, 'ns/app', 'latest');
      assert.equal(((await (await get(srv, '/ui/api/repositories/ns/app/tags')).json()) as { mayDelete: boolean }).mayDelete, false);
      const res = await fetch(`${srv.url}/ui/api/repositories/ns/app/tags/latest`, { method: 'DELETE' });
      assert.equal(res.status, 405);
      assert.deepEqual(await res.json(), { error: 'Deletes are disabled (storage_delete_enabled: false)' });
    } finally {
      await srv.stop();
    }
  });

  it('10,000 repositories are searched and paged on the server, 50 to a page', async () => {
    const srv = await startTestServer(testConfig());
    try {
      const storage = srv.deps.storage;
      const ids = `"${'e'.repeat(64)}"`;
      for (let i = 0; i < 10_000; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, k) => storage.putContent(`repositories/bulk/r${String(i + k).padStart(5, '0')}/tag_latest`, ids)));
      }
      const page = async (q: string) =>
        (await (await get(srv, `/ui/api/repositories?${q}`)).json()) as { total: number; page: number; items: Array<{ name: string }> };
      const first = await page('page=1');
      assert.equal(first.total, 10_000);
      assert.equal(first.items.length, 50);
      assert.equal(first.items[0]?.name, 'bulk/r00000');
      const last = await page('page=200');
      assert.deepEqual([last.page, last.items.length, last.items.at(-1)?.name], [200, 50, 'bulk/r09999']);
      assert.equal((await page('page=999')).page, 200, 'past the end: the last page');
      const found = await page('q=R0999');
      assert.deepEqual(
        found.items.map((i) => i.name),
        Array.from({ length: 10 }, (_, k) => `bulk/r0999${k}`),
      );
    } finally {
      await srv.stop();
    }
  });
});
