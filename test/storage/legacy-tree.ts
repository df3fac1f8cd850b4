/**
 * Stores written by docker-registry 0.9 (JSON-list `_checksum`) and 0.6 (plain-string
 * `_checksum`), read through a driver exactly as they were left: layout, encoding of odd
 * repository names, byte-exact JSON, layers and payload checksums.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseStoredChecksums, payloadChecksum } from '../../lib/checksums/payload.js';
import type { StorageDriver } from '../../lib/storage/driver.js';
import { v1, v1Pre081 } from '../../lib/storage/paths.js';
import { INSTALL_DIR } from '../../lib/version.js';

export const LEGACY_TREES = ['0.9', '0.6'] as const;
export const treeDir = (version: string) => path.join(INSTALL_DIR, 'test/fixtures/registry', version);

const A = '511136ea3c5a64f264b78b5433614aec563103b4d4702f3ba7d4d2698e22c158';
const B = '1c3eb7f0e2b6c8a1d4f5e6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b';

/** Every file of a fixture tree as [relative key, absolute file]. */
export function treeFiles(version: string): Array<[string, string]> {
  const root = treeDir(version);
  const out: Array<[string, string]> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.push([path.relative(root, full).split(path.sep).join('/'), full]);
    }
  };
  walk(root);
  return out;
}

async function readAll(driver: StorageDriver, key: string, range?: { offset: number; length: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await driver.reader(key, range)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export function describeLegacyTree(label: string, version: string, make: () => Promise<StorageDriver | null>): void {
  describe(`docker-registry ${version} store through ${label}`, function () {
    this.timeout(60_000);
    let d: StorageDriver;
    const file = (key: string) => readFileSync(path.join(treeDir(version), key));
    before(async function () {
      const driver = await make();
      if (!driver) return this.skip();
      d = driver;
    });

    it('lists namespaces and repositories, with odd names encoded as that version did', async () => {
      const odd = version === '0.6' ? 'my%2Brepo' : 'my%252Brepo'; // quoted once before 0.8.1, twice after
      assert.deepEqual(await d.list('repositories'), ['repositories/library', 'repositories/ns']);
      assert.deepEqual(await d.list('repositories/ns'), [`repositories/ns/${odd}`, 'repositories/ns/repo']);
      const tagPath = version === '0.6' ? v1Pre081.tag('ns', 'my+repo', 'v2') : v1.tag('ns', 'my+repo', 'v2');
      assert.equal((await d.getContent(tagPath)).toString(), B);
    });

    it('reads tags and tag metadata', async () => {
      assert.equal((await d.getContent(v1.tag('ns', 'repo', 'latest'))).toString(), B);
      assert.equal((await d.getContent(v1.tag('library', 'busybox', '1.0'))).toString(), A);
      const meta = JSON.parse((await d.getContent(v1.tagJson('ns', 'repo', 'latest'))).toString()) as { docker_version: string };
      assert.equal(meta.docker_version, '1.3.0');
      assert.deepEqual(await d.getContent(v1.repositoryJson('ns', 'repo')), file('repositories/ns/repo/json'));
      const index = JSON.parse((await d.getContent(v1.indexImages('ns', 'repo'))).toString()) as Array<{ id: string }>;
      assert.deepEqual(
        index.map((i) => i.id),
        [A, B],
      );
    });

    it('reads image JSON byte-exact, ancestry, and layers whole and by range', async () => {
      for (const id of [A, B]) {
        assert.deepEqual(await d.getContent(v1.imageJson(id)), file(`images/${id}/json`));
        const layer = file(`images/${id}/layer`);
        assert.equal((await d.stat(v1.imageLayer(id))).size, layer.length);
        assert.deepEqual(await readAll(d, v1.imageLayer(id)), layer);
        assert.deepEqual(await readAll(d, v1.imageLayer(id), { offset: 512, length: 700 }), layer.subarray(512, 1212));
      }
      assert.deepEqual(JSON.parse((await d.getContent(v1.imageAncestry(B))).toString()), [B, A]);
      assert.match((await d.getContent(v1.imageJson(B))).toString('utf8'), /ünïcode ✓/);
    });

    it(`verifies each layer against its ${version === '0.6' ? 'plain-string' : 'JSON-list'} _checksum`, async () => {
      for (const id of [A, B]) {
        const raw = await d.getContent(v1.imageChecksum(id));
        assert.equal(raw.toString().startsWith('['), version !== '0.6');
        const stored = parseStoredChecksums(raw);
        assert.equal(stored.length, 1);
        const computed = await payloadChecksum(await d.getContent(v1.imageJson(id)), await d.reader(v1.imageLayer(id)));
        assert.deepEqual(stored, [computed]);
      }
    });
  });
}
