import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, testConfig } from '../support/config.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A layer tar made by GNU tar, as Docker's were: ./-prefixed names, whiteouts, fixed owner and mtime. */
function makeLayer(compression: 'none' | 'gzip' | 'xz'): Buffer {
  const dir = tempDir('berth-layer-');
  mkdirSync(path.join(dir, 'etc'));
  writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(path.join(dir, '.wh.gone'), '');
  writeFileSync(path.join(dir, '.wh..wh.aufs'), '');
  const out = path.join(tempDir(), 'layer');
  const flag = { none: '-cf', gzip: '-czf', xz: '-cJf' }[compression];
  execFileSync('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '--mtime=@1400000000', '--sort=name', flag, out, '.']);
  return readFileSync(out);
}

describe('V1 /files', () => {
  let srv: TestServer;
  const push = async (id: string, layer: Buffer) => {
    await fetch(`${srv.url}/v1/images/${id}/json`, { method: 'PUT', body: `{"id": "${id}"}` });
    await fetch(`${srv.url}/v1/images/${id}/layer`, { method: 'PUT', body: layer });
    const json = Buffer.from(`{"id": "${id}"}`);
    const { createHash } = await import('node:crypto');
    const sum = `sha256:${createHash('sha256').update(json).update('\n').update(layer).digest('hex')}`;
    assert.equal((await fetch(`${srv.url}/v1/images/${id}/checksum`, { method: 'PUT', headers: { 'X-Docker-Checksum-Payload': sum } })).status, 200);
  };
  before(async () => {
    srv = await startTestServer(testConfig());
  });
  after(() => srv.stop());

  for (const [compression, digit] of [
    ['none', '1'],
    ['gzip', '2'],
    ['xz', '5'],
  ] as const) {
    it(`lists a tar layer (compression: ${compression}) in the old format, whiteouts as deleted entries`, async () => {
      const id = digit.repeat(64);
      const layer = makeLayer(compression);
      if (compression === 'xz') assert.equal(layer.subarray(0, 6).toString('hex'), 'fd377a585a00', 'really xz');
      await push(id, layer);
      const res = await fetch(`${srv.url}/v1/images/${id}/files`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000');
      const files = (await res.json()) as Array<[string, string, boolean, number, number, number, number, number]>;
      const byPath = Object.fromEntries(files.map((f) => [f[0], f]));
      assert.deepEqual(Object.keys(byPath).sort(), ['/', '/etc', '/etc/passwd', '/gone']);
      assert.deepEqual(byPath['/etc/passwd'], ['/etc/passwd', 'f', false, 26, 1400000000, byPath['/etc/passwd']?.[5], 0, 0]);
      assert.equal(byPath['/etc']?.[1], 'd');
      assert.equal(byPath['/gone']?.[2], true, 'a whiteout is a deleted entry');
      assert.deepEqual(JSON.parse((await srv.deps.storage.getContent(`images/${id}/_files`)).toString()), files, 'kept as _files');
    });
  }

  it('a layer that is not a tar: 400 Layer format not supported', async () => {
    const id = '3'.repeat(64);
    await push(id, Buffer.from('this is not a tar archive at all, not even close'.repeat(20)));
    const res = await fetch(`${srv.url}/v1/images/${id}/files`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'Layer format not supported' });
  });

  it('a corrupt xz layer: 400 Layer format not supported, and no xz process is left behind', async () => {
    const id = '6'.repeat(64);
    const xz = makeLayer('xz');
    await push(id, Buffer.concat([xz.subarray(0, 40), Buffer.alloc(200, 7)]));
    const res = await fetch(`${srv.url}/v1/images/${id}/files`);
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: 'Layer format not supported' });
    // The server runs in this process: its xz children are ours. Bounded wait for their exit.
    const children = () =>
      spawnSync('pgrep', ['-P', String(process.pid), '-x', 'xz'])
        .stdout.toString()
        .trim();
    for (let i = 0; i < 20 && children() !== ''; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(children(), '');
  });

  it('a tar cut off inside a file is a 400, and the server goes on', async () => {
    const id = '7'.repeat(64);
    const { pack } = await import('tar-stream');
    const tar = pack();
    tar.entry({ name: 'big.bin' }, Buffer.alloc(2 * 1024 * 1024, 1));
    tar.finalize();
    const chunks: Buffer[] = [];
    for await (const c of tar) chunks.push(c as Buffer);
    await push(id, Buffer.concat(chunks).subarray(0, 1024 * 1024));
    const res = await fetch(`${srv.url}/v1/images/${id}/files`);
    assert.equal(res.status, 400);
    assert.equal((await fetch(`${srv.url}/v1/_ping`)).status, 200);
  });

  it('an image without a layer: 404', async () => {
    const res = await fetch(`${srv.url}/v1/images/${'4'.repeat(64)}/files`);
    assert.equal(res.status, 404);
  });
});
