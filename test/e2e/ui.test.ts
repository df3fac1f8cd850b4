/**
 * The web page at /ui/ in a real browser: Debian's chromium driven by playwright-core. A V1
 * image pushed by a Docker 1.5 engine and a V2 image pushed by containerd (distinct
 * User-Agents) are both found on /ui/; a tag's page shows its layers, V1 ancestry and pull
 * commands; the migration view lists both clients; a tag is deleted from the page; the
 * page loads under its Content-Security-Policy with no error, under 200 KB, and fits a phone.
 * Screenshots go to a temp folder (printed); BERTH_UPDATE_SCREENSHOT=1 also writes the
 * README's docs/migration-view.png.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { INSTALL_DIR } from '../../lib/version.js';
import { tempDir, testConfig } from '../support/config.js';
import { gzipLayer } from '../support/layers.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { chromiumAvailable } from '../support/services.js';
import { DOCKER_15, v1Engine, v1Json } from '../support/v1-engine.js';
import { DOCKER_MANIFEST, v2Client } from '../support/v2-client.js';

const CONTAINERD = 'containerd/v1.7.24-berth-test';
const DOCKER_13 = 'docker/1.3.3 go/go1.3.3 git-commit/d344625 kernel/3.13.0 os/linux arch/amd64';
const DOCKER_19 = 'docker/1.9.1 go/go1.4.3 git-commit/a34a1d5 kernel/4.2.0 os/linux arch/amd64';
const A = `${'a'.repeat(63)}1`;
const B = `${'b'.repeat(63)}2`;
const C = `${'c'.repeat(63)}3`;

describe('web page /ui/ in chromium', function () {
  this.timeout(120_000);
  let srv: TestServer;
  let browser: Browser;
  let page: Page;
  let out: string;
  let host: string;
  const problems: string[] = [];

  before(async function () {
    if (!chromiumAvailable()) return this.skip();
    // The page's bundle, as npm run build makes it (a targeted run may not have built it).
    execFileSync(process.execPath, [path.join(INSTALL_DIR, 'scripts', 'build-ui.mjs')], { stdio: 'inherit' });
    out = tempDir('berth-ui-e2e-');
    srv = await startTestServer(testConfig());
    host = new URL(srv.url).host;

    const base = await gzipLayer({ 'hello/': '', 'hello/world.txt': 'Hello from V1\n' });
    const top = await gzipLayer({ 'hello/top.txt': 'the top layer\n' });
    await v1Engine(srv.url, DOCKER_15).push('legacy/app', '1.0', [
      { id: A, json: v1Json(A, null), layer: base.bytes },
      { id: B, json: v1Json(B, A, { config: { Cmd: ['/hello'] } }), layer: top.bytes },
    ]);
    // A name V2 cannot spell (upper case): V1 only.
    const tools = await gzipLayer({ 'tools.txt': 'tools\n' });
    await v1Engine(srv.url, DOCKER_13).push('legacy/Tools', 'latest', [{ id: C, json: v1Json(C, null), layer: tools.bytes }]);
    const layers = [await gzipLayer({ 'base.txt': 'base\n' }), await gzipLayer({ 'app.txt': 'app\n' })];
    const config = {
      architecture: 'arm64',
      os: 'linux',
      created: '2024-05-01T10:00:00Z',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [{ created: '2024-05-01T10:00:00Z' }, { created: '2024-05-01T10:00:01Z' }],
    };
    const v2 = v2Client(srv.url, CONTAINERD);
    for (const tag of ['2.0', '2.1']) {
      await v2.pushImage(
        'modern/app',
        tag,
        layers.map((l) => l.bytes),
        { mediaType: DOCKER_MANIFEST, config },
      );
    }
    // An artifact (an SBOM, no image config): no V1 form.
    await v2.pushImage('modern/sbom', 'v1', [Buffer.from('{"spdxVersion":"SPDX-2.3"}')], {
      config: { mediaType: 'application/vnd.oci.empty.v1+json' },
      extra: { artifactType: 'application/spdx+json' },
    });
    await srv.services.bridge?.idle();
    // A newer engine pulls the V1-pushed image over V2 (through the bridge).
    const pulled = await v2Client(srv.url, DOCKER_19).call('GET', '/v2/legacy/app/manifests/1.0', { headers: { Accept: DOCKER_MANIFEST } });
    assert.equal(pulled.status, 200);

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    // Nothing but the registry itself is ever asked for.
    page.on('request', (r) => void (r.url().startsWith(srv.url) || problems.push(`request elsewhere: ${r.url()}`)));
  });

  after(async () => {
    await browser?.close();
    await srv?.stop();
    if (out) process.stdout.write(`      screenshots: ${out}\n`);
  });

  const shot = (name: string) => page.screenshot({ path: path.join(out, name), fullPage: true });

  it('/ui/ lists the V1 and the V2 repository, under a strict CSP, in under 200 KB', async () => {
    const response = await page.goto(`${srv.url}/ui/`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.getByRole('link', { name: 'legacy/app' }).waitFor();
    await page.getByRole('link', { name: 'modern/app' }).waitFor();
    // The browser's own count (Resource Timing: headers and the encoded body of every response).
    const transferred = await page.evaluate(
      `performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((n, e) => n + e.transferSize, 0)`,
    );
    process.stdout.write(`      first load: ${transferred} bytes transferred\n`);
    assert.ok(typeof transferred === 'number' && transferred > 0 && transferred < 200_000, `${transferred} bytes`);
    await shot('repositories.png');

    await page.getByRole('searchbox', { name: 'Search repositories' }).fill('SBOM');
    await page.waitForURL(/\/ui\/\?q=SBOM$/);
    await page.getByText('1 repository').waitFor();
    assert.equal(await page.getByRole('link', { name: 'modern/sbom' }).count(), 1);
    assert.equal(await page.getByRole('link', { name: 'legacy/app' }).count(), 0);
  });

  it('a repository shows its tags with visibility and pull commands; a tag shows its layers, V1 ancestry, config and manifest', async () => {
    await page.goto(`${srv.url}/ui/?q=legacy`);
    await page.getByRole('link', { name: 'legacy/app' }).click();
    await page.waitForURL(`${srv.url}/ui/r/legacy/app`);
    await page.getByRole('link', { name: '1.0', exact: true }).waitFor();
    assert.equal(await page.getByText('V1 + V2').count(), 1, 'bridged: visible over both');
    assert.equal(await page.getByRole('textbox', { name: 'V2 (Docker ≥ 1.6)' }).inputValue(), `docker pull ${host}/legacy/app:1.0`);
    assert.equal(await page.getByRole('textbox', { name: 'V1 (Docker < 1.6)' }).inputValue(), `docker pull ${host}/legacy/app:1.0`);
    assert.match(await page.getByRole('textbox', { name: 'V2 by digest' }).inputValue(), new RegExp(`^docker pull ${host}/legacy/app@sha256:[0-9a-f]{64}$`));
    await shot('repository.png');

    await page.getByRole('link', { name: '1.0', exact: true }).click();
    await page.waitForURL(`${srv.url}/ui/r/legacy/app/t/1.0`);
    await page.getByRole('heading', { name: 'Layers (2)' }).waitFor();
    await page.getByRole('heading', { name: 'V1 ancestry (2)' }).waitFor();
    assert.equal(await page.getByRole('cell', { name: A }).count(), 1, 'the V1 ids of the ancestry');
    assert.equal(await page.getByRole('cell', { name: B }).count(), 1);
    const manifest = await page.locator('pre').last().textContent();
    assert.match(manifest ?? '', /"mediaType": "application\/vnd\.docker\.distribution\.manifest\.v2\+json"/);
    await shot('tag.png');
  });

  it('the migration view lists the clients by protocol with the User-Agents they sent and what they did', async () => {
    await page.goto(`${srv.url}/ui/migration`);
    await page.getByRole('heading', { name: /^Over V1/ }).waitFor();
    const rows = async (protocol: string) =>
      page
        .locator('div', { has: page.getByRole('heading', { name: new RegExp(`^Over ${protocol}`) }) })
        .locator('table.clients tbody tr')
        .allTextContents();
    const v1 = await rows('V1');
    const v2 = await rows('V2');
    assert.ok(
      v1.some((r) => r.includes(DOCKER_15) && r.includes('Docker 1.5.0') && r.includes('push legacy/app')),
      v1.join('\n'),
    );
    assert.ok(
      v2.some((r) => r.includes(CONTAINERD) && r.includes('push modern/app')),
      v2.join('\n'),
    );
    assert.ok(
      v2.some((r) => r.includes(DOCKER_19) && r.includes('pull legacy/app')),
      v2.join('\n'),
    );
    const cards = await page.locator('.card').allTextContents();
    assert.deepEqual(cards.slice(0, 4), ['1V1 only', '3V1 and V2 (bridged)', '0V2 only', '1not bridgeable']);
    assert.equal(await page.getByRole('columnheader', { name: 'Not bridgeable because' }).count(), 1);
    await shot('migration.png');
    if (process.env.BERTH_UPDATE_SCREENSHOT === '1') copyFileSync(path.join(out, 'migration.png'), path.join(INSTALL_DIR, 'docs', 'migration-view.png'));
  });

  it('is readable on a phone: nothing wider than the screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      for (const view of ['/ui/', '/ui/r/legacy/app', '/ui/r/legacy/app/t/1.0', '/ui/migration']) {
        await phone.goto(srv.url + view);
        await phone.locator('main h1').waitFor();
        await phone.waitForLoadState('networkidle');
        const width = await phone.evaluate('document.documentElement.scrollWidth');
        assert.ok(typeof width === 'number' && width <= 390, `${view} is ${width} px wide`);
      }
      await phone.screenshot({ path: path.join(out, 'migration-phone.png'), fullPage: true });
    } finally {
      await phone.close();
    }
  });

  it('deletes a tag after confirmation, on both protocols', async () => {
    await page.goto(`${srv.url}/ui/r/modern/app`);
    const dialogs: string[] = [];
    page.once('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Delete 2.0' }).click();
    await page.waitForTimeout(200);
    assert.equal(dialogs.length, 1, 'asked first');
    assert.equal(
      (await v2Client(srv.url).call('GET', '/v2/modern/app/manifests/2.0', { headers: { Accept: DOCKER_MANIFEST } })).status,
      200,
      'dismissed: kept',
    );

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete 2.0' }).click();
    await page.getByRole('button', { name: 'Delete 2.0' }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: '2.1', exact: true }).waitFor();
    assert.equal((await v2Client(srv.url).call('GET', '/v2/modern/app/manifests/2.0', { headers: { Accept: DOCKER_MANIFEST } })).status, 404);
    assert.equal((await v1Engine(srv.url).call('GET', '/v1/repositories/modern/app/tags/2.0')).status, 404, 'gone over V1 too');
    await shot('deleted.png');
  });

  it('shows a hostile repository name as text (V1 took any name): no element, no script', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    const tagged = await v1Engine(srv.url).call('PUT', `/v1/repositories/evil/${encodeURIComponent(evil)}/tags/latest`, {
      body: `"${A}"`,
      headers: { 'Content-Type': 'application/json' },
    });
    assert.equal(tagged.status, 200, tagged.body.toString());
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Its own URL, as pasted into a ticket (a repository the list has not seen yet is looked up again).
    await page.goto(`${srv.url}/ui/r/evil/${encodeURIComponent(evil)}`);
    await page.getByRole('heading', { name: `evil/${evil}` }).waitFor();
    await page.getByRole('link', { name: 'latest', exact: true }).waitFor();
    assert.equal(await page.locator('main img').count(), 0);
    await page.goto(`${srv.url}/ui/?q=evil`);
    await page.getByRole('link', { name: `evil/${evil}` }).waitFor();
    assert.equal(await page.locator('main img').count(), 0);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(problems, []);
  });
});
