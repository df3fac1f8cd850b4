/**
 * The conformance suite every storage driver and wrapper must pass: the 28 cases of
 * docker-registry's `testing.Driver` (docker/docker-registry
 * `depends/docker-registry-core/docker_registry/testing/driver.py`, numbered below), and what a production
 * registry needs beyond them: byte ranges at the edges, 1 GiB streamed with flat memory,
 * aborted and concurrent writes, prefix-safe deletes, odd names, and nothing left behind.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { exists, type StorageDriver, writeFromStream } from '../../lib/storage/driver.js';
import { StorageError } from '../../lib/storage/errors.js';
import { v1 } from '../../lib/storage/paths.js';

export interface SuiteTarget {
  driver: StorageDriver;
  /** Drivers an error may name: a wrapper passes on the error of the backend that failed. Default: the driver's own name. */
  errorNames?: string[];
  /** What the backend holds that the driver's own listing hides (temp files, unfinished uploads, staging images): must be empty after the suite. */
  leftovers?: () => Promise<string[]>;
  /** Called once after the suite; the suite has already checked that nothing was left behind. */
  cleanup?: () => Promise<void>;
}

export interface SuiteOptions {
  /** the 1 GiB streaming case (off for drivers whose backend keeps objects in test-process memory) */
  big?: boolean;
}

const MiB = 1024 * 1024;
const name = () =>
  randomBytes(12)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')
    .slice(0, 16);

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function rejectsKind(promise: Promise<unknown>, kind: StorageError['kind']): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    return true;
  });
}

/** Gives `chunks`, then fails as a dropped client connection does. */
export function failingSource(chunks: Buffer[]): Readable {
  const queue = [...chunks];
  return new Readable({
    read() {
      const next = queue.shift();
      if (next) this.push(next);
      else this.destroy(new Error('client went away'));
    },
  });
}

/** A readable of `size` pseudo-random bytes, made as it is read, and its sha256. */
export function generated(size: number, seed: string): { stream: Readable; digest: () => string } {
  const hash = createHash('sha256');
  const block = createHash('sha512').update(seed).digest();
  let sent = 0;
  let counter = 0;
  const stream = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(MiB, size - sent));
      for (let off = 0; off < chunk.length; off += block.length) {
        block.writeUInt32BE(counter++, 0); // no two blocks alike
        block.copy(chunk, off);
      }
      sent += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, digest: () => hash.digest('hex') };
}

export function describeDriverSuite(label: string, make: () => Promise<SuiteTarget | null>, options: SuiteOptions = {}): void {
  describe(`storage conformance: ${label}`, function () {
    this.timeout(120_000);
    let target: SuiteTarget | null = null;
    let d: StorageDriver;

    before(async function () {
      target = await make();
      if (!target) return this.skip();
      d = target.driver;
    });
    after(async () => {
      await target?.cleanup?.();
      await target?.driver.close();
    });

    async function roundTrip(content: Buffer) {
      const p = name();
      await d.putContent(p, content);
      assert.deepEqual(await d.getContent(p), content);
      assert.deepEqual(await d.getContent(p), content);
      assert.equal((await d.stat(p)).size, content.length);
      await d.delete(p);
    }

    async function unicodeRoundTrip(text: string) {
      const p = name();
      await d.putContent(p, text);
      assert.equal((await d.getContent(p)).toString('utf8'), text);
      assert.equal((await d.getContent(p)).toString('utf8'), text);
      await d.delete(p);
    }

    // docker-registry testing.Driver, cases 1–28
    it('1 exists: a random path does not exist', async () => {
      assert.equal(await exists(d, name()), false);
    });
    it('2 exists: an empty file exists', async () => {
      const p = name();
      await d.putContent(p, Buffer.alloc(0));
      assert.equal(await exists(d, p), true);
      assert.equal((await d.stat(p)).size, 0);
      await d.delete(p);
    });
    it('3 write/read: one byte', () => roundTrip(Buffer.from('a')));
    it('4 write/read: ß as literal bytes', () => roundTrip(Buffer.from([0xc3, 0x9f])));
    it('5 write/read: ß encoded from a string', () => roundTrip(Buffer.from('ß', 'utf8')));
    it('6 write/read: ß from an escape', () => roundTrip(Buffer.from('\u00df', 'utf8')));
    it('7 write/read: 16 characters', () => roundTrip(Buffer.from(name())));
    it('8 write/read: 1 MiB', () => roundTrip(randomBytes(MiB)));
    it('9 unicode: ASCII', () => unicodeRoundTrip('a'));
    it('10 unicode: ß', () => unicodeRoundTrip('ß'));
    it('11 unicode: ß escaped', () => unicodeRoundTrip('\u00df'));
    it('12 unicode: ß among ASCII', () => unicodeRoundTrip('aßb'));
    it('13 unicode: 16 characters', () => unicodeRoundTrip(name()));
    it('14 unicode: 1 MiB', () => unicodeRoundTrip('ß'.repeat(MiB / 2)));
    it('15 json round-trip', async () => {
      const p = name();
      await d.putContent(p, JSON.stringify({ ß: 'ß' }));
      assert.deepEqual(JSON.parse((await d.getContent(p)).toString('utf8')), { ß: 'ß' });
      assert.deepEqual(JSON.parse((await d.getContent(p)).toString('utf8')), { ß: 'ß' });
      await d.delete(p);
    });
    it('16 remove an existing file', async () => {
      const p = name();
      await d.putContent(p, 'x');
      await d.delete(p);
      assert.equal(await exists(d, p), false);
    });
    it('17 remove a folder and everything in it', async () => {
      const dir = name();
      await d.putContent(`${dir}/f1`, 'one');
      await d.putContent(`${dir}/f2`, 'two');
      await d.delete(dir);
      assert.equal(await exists(d, dir), false);
      assert.equal(await exists(d, `${dir}/f1`), false);
      assert.equal(await exists(d, `${dir}/f2`), false);
      await rejectsKind(d.getContent(`${dir}/f1`), 'not_found');
    });
    it('18 removing a missing path is not_found', () => rejectsKind(d.delete(name()), 'not_found'));
    it('19 reading a missing path is not_found', () => rejectsKind(d.getContent(name()), 'not_found'));
    it('20 the size of a missing path is not_found', () => rejectsKind(d.stat(name()), 'not_found'));
    it('21 stream write, stream read, and a random range', async () => {
      const p = name();
      const content = Buffer.from('abcdefg');
      assert.equal(await exists(d, p), false);
      assert.equal(await writeFromStream(d, p, Readable.from([content])), 7);
      assert.equal(await exists(d, p), true);
      assert.deepEqual(await readAll(await d.reader(p)), content);
      if (d.capabilities.ranges) {
        const b = Math.floor(Math.random() * 4);
        const e = b + 1 + Math.floor(Math.random() * (6 - b));
        assert.deepEqual(await readAll(await d.reader(p, { offset: b, length: e - b + 1 })), content.subarray(b, e + 1));
      }
      await d.delete(p);
      assert.equal(await exists(d, p), false);
    });
    it('22 stream-reading a missing path is not_found', () => rejectsKind(d.reader(name()).then(readAll), 'not_found'));
    it('23 listing a missing directory is not_found', () => rejectsKind(d.list(name()), 'not_found'));
    it('24 listing a file is not_found', async () => {
      const p = name();
      await d.putContent(p, 'x');
      await rejectsKind(d.list(p), 'not_found');
      await d.delete(p);
    });
    it('25 listing a directory gives its files as full paths, sorted', async () => {
      const base = name();
      await d.putContent(`${base}/f2`, 'x');
      await d.putContent(`${base}/f1`, 'x');
      assert.deepEqual(await d.list(base), [`${base}/f1`, `${base}/f2`]);
      await d.delete(base);
    });
    it('26 listing a directory gives its subdirectories once each', async () => {
      const base = name();
      await d.putContent(`${base}/d1/f1`, 'x');
      await d.putContent(`${base}/d1/f3`, 'x');
      await d.putContent(`${base}/d2/f2`, 'x');
      assert.deepEqual(await d.list(base), [`${base}/d1`, `${base}/d2`]);
      await d.delete(base);
    });
    it('27 an emptied directory lists as not_found', async () => {
      const base = name();
      await d.putContent(`${base}/f1`, 'x');
      await d.putContent(`${base}/f2`, 'x');
      await d.delete(`${base}/f1`);
      await d.delete(`${base}/f2`);
      await rejectsKind(d.list(base), 'not_found');
      await rejectsKind(d.stat(base), 'not_found');
    });
    it('28 no V1 path exists on a fresh store', async () => {
      const [ns, repo, tag, id] = ['namespace', 'repository', 'sometag', 'imageid'];
      for (const p of [
        v1.imageJson(id),
        v1.imageLayer(id),
        v1.imageAncestry(id),
        v1.imageChecksum(id),
        v1.imageMark(id),
        v1.imageFiles(id),
        v1.imageDiff(id),
        v1.repository(ns, repo),
        v1.tag(ns, repo, tag),
        v1.tagJson(ns, repo, tag),
        v1.repositoryJson(ns, repo),
        v1.indexImages(ns, repo),
        v1.imagesList(ns, repo),
        v1.privateFlag(ns, repo),
      ]) {
        assert.equal(await exists(d, p), false, p);
      }
    });

    // Beyond the old suite
    it('ranges across several MiB come back exact (reads are chunked and read ahead)', async function () {
      if (!d.capabilities.ranges) return this.skip();
      const p = name();
      const content = randomBytes(3 * MiB + 12345);
      await d.putContent(p, content);
      try {
        assert.deepEqual(await readAll(await d.reader(p)), content);
        for (const [offset, length] of [
          [0, 2 * MiB + 1],
          [MiB - 1, 2],
          [MiB + 7, 2 * MiB],
          [3 * MiB, 12345],
          [5, 3 * MiB + 12340],
        ] as const) {
          assert.deepEqual(await readAll(await d.reader(p, { offset, length })), content.subarray(offset, offset + length), `${offset}+${length}`);
        }
      } finally {
        await d.delete(p);
      }
    });
    it('a reader dropped halfway (a client that hung up) or aborted by its signal ends cleanly', async () => {
      const p = name();
      await d.putContent(p, randomBytes(4 * MiB));
      try {
        const half = await d.reader(p);
        await new Promise<void>((resolve, reject) => {
          half.once('data', () => {
            half.destroy();
            resolve();
          });
          half.once('error', reject);
        });
        const controller = new AbortController();
        const aborted = await d.reader(p, { signal: controller.signal });
        controller.abort();
        await assert.rejects(readAll(aborted)); // AbortError, or the SDK's "aborted": never a silent end
        // The object is still whole for the next reader.
        assert.equal((await readAll(await d.reader(p))).length, 4 * MiB);
      } finally {
        await d.delete(p);
      }
    });
    describe('byte ranges at the edges', () => {
      const content = Buffer.from('0123456789');
      let p: string;
      before(async function () {
        if (!d?.capabilities.ranges) return this.skip();
        p = name();
        await d.putContent(p, content);
      });
      after(async () => {
        if (p) await d.delete(p);
      });
      const cases: Array<[string, { offset?: number; length?: number }, string]> = [
        ['the first byte', { offset: 0, length: 1 }, '0'],
        ['the last byte', { offset: 9, length: 1 }, '9'],
        ['from an offset to the end', { offset: 7 }, '789'],
        ['the whole object by range', { offset: 0, length: 10 }, '0123456789'],
        ['a length past the end is cut at the end', { offset: 8, length: 100 }, '89'],
        ['an offset at the end is empty', { offset: 10 }, ''],
      ];
      for (const [label, range, expected] of cases) {
        it(label, async () => {
          assert.equal((await readAll(await d.reader(p, range))).toString(), expected);
        });
      }
    });

    it('streams 1 GiB in and out with flat memory', async function () {
      if (!options.big) return this.skip();
      const p = `${name()}/big`;
      const size = 1024 * MiB;
      const source = generated(size, p);
      global.gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 100);
      try {
        assert.equal(await writeFromStream(d, p, source.stream), size);
        assert.equal((await d.stat(p)).size, size);
        const back = createHash('sha256');
        for await (const c of await d.reader(p)) back.update(c as Buffer);
        assert.equal(back.digest('hex'), source.digest());
      } finally {
        clearInterval(sampler);
        await d.delete(p.split('/')[0] as string).catch(() => {});
      }
      // Memory must not follow the object's size: 1 GiB through the driver may not grow RSS by more than 256 MiB.
      assert.ok(peak - before < 256 * MiB, `RSS grew by ${Math.round((peak - before) / MiB)} MiB while streaming 1 GiB`);
    });

    it('a write aborted halfway leaves nothing visible, and the previous object intact', async () => {
      const dir = name();
      const p = `${dir}/obj`;
      const failing = failingSource([randomBytes(64 * 1024), randomBytes(64 * 1024)]);
      await assert.rejects(writeFromStream(d, p, failing), /client went away/);
      assert.equal(await exists(d, p), false);
      await rejectsKind(d.list(dir), 'not_found');

      await d.putContent(p, 'previous');
      const failingAgain = failingSource([Buffer.from('partial new content')]);
      await assert.rejects(writeFromStream(d, p, failingAgain));
      assert.equal((await d.getContent(p)).toString(), 'previous');
      assert.deepEqual(await d.list(dir), [p]);

      const w = await d.writer(p);
      w.stream.write(Buffer.from('never committed'));
      await w.cancel();
      assert.equal((await d.getContent(p)).toString(), 'previous');
      await d.delete(dir);
    });

    it('appender (where offered): committed chunks accumulate; a failed or cancelled chunk is rolled back; bytes past `at` are dropped', async function () {
      const append = d.appender?.bind(d);
      if (!append) return this.skip();
      const p = `${name()}/appended`;
      const chunk = async (data: string, at: number) => {
        const w = await append(p, at);
        await pipeline(Readable.from([Buffer.from(data)]), w.stream);
        await w.commit();
      };
      await chunk('one ', 0);
      await chunk('two ', 4);
      await assert.rejects(async () => {
        const w = await append(p, 8);
        try {
          await pipeline(failingSource([Buffer.from('half of three')]), w.stream);
        } catch (err) {
          await w.cancel();
          throw err;
        }
      }, /client went away/);
      const cancelled = await append(p, 8);
      cancelled.stream.write('never committed');
      await cancelled.cancel();
      await chunk('three', 8);
      assert.equal((await d.getContent(p)).toString(), 'one two three');
      await chunk('2', 4); // a crash left "two three" half-recorded: writing again at 4 drops it
      assert.equal((await d.getContent(p)).toString(), 'one 2');
      await assert.rejects(append(p, 100), (err: unknown) => err instanceof StorageError && err.kind === 'driver_failure');
      await d.delete(p.slice(0, p.lastIndexOf('/')));
    });

    it('a large write aborted after several parts leaves nothing behind', async () => {
      const p = `${name()}/big-aborted`;
      // 24 MiB: past the 8 MiB part size, so an S3 multipart upload has begun and must be aborted.
      await assert.rejects(writeFromStream(d, p, failingSource(Array.from({ length: 24 }, () => randomBytes(MiB)))), /client went away/);
      assert.equal(await exists(d, p), false);
    });

    it('two concurrent writers to one path leave one complete object', async () => {
      const p = name();
      const a = randomBytes(3 * MiB + 17);
      const b = randomBytes(2 * MiB + 5);
      await Promise.all([writeFromStream(d, p, Readable.from([a.subarray(0, MiB), a.subarray(MiB)])), writeFromStream(d, p, Readable.from([b]))]);
      const result = await d.getContent(p);
      assert.ok(result.equals(a) || result.equals(b), `got ${result.length} bytes, neither writer's content`);
      await d.delete(p);
    });

    it('deleting a directory leaves a sibling with the same prefix alone', async () => {
      const base = name();
      await d.putContent(`${base}/b/f`, 'inside');
      await d.putContent(`${base}/bc/f`, 'sibling');
      await d.putContent(`${base}/b.txt`, 'file sibling');
      await d.delete(`${base}/b`);
      assert.equal(await exists(d, `${base}/b/f`), false);
      assert.equal((await d.getContent(`${base}/bc/f`)).toString(), 'sibling');
      assert.equal((await d.getContent(`${base}/b.txt`)).toString(), 'file sibling');
      await d.delete(base);
    });

    it('moves an object, replacing what was at the target', async () => {
      const base = name();
      await d.putContent(`${base}/from`, 'payload');
      await d.putContent(`${base}/sub/to`, 'old');
      await d.move(`${base}/from`, `${base}/sub/to`);
      assert.equal(await exists(d, `${base}/from`), false);
      assert.equal((await d.getContent(`${base}/sub/to`)).toString(), 'payload');
      await rejectsKind(d.move(`${base}/missing`, `${base}/x`), 'not_found');
      await d.delete(base);
    });

    it('stores unicode and odd-character names as they are', async () => {
      const base = name();
      const odd = ['ünïcödé', 'with space', 'per%25cent', 'plus+sign', 'colon:name', 'tag_v1.0-rc', '💾', 'x%2Fy', "quote'd", 'a=b&c'];
      for (const n of odd) await d.putContent(`${base}/${n}`, n);
      for (const n of odd) assert.equal((await d.getContent(`${base}/${n}`)).toString(), n, n);
      assert.deepEqual(await d.list(base), odd.map((n) => `${base}/${n}`).sort());
      await d.delete(base);
    });

    it('refuses negative, fractional or NaN ranges before they reach the backend', async () => {
      const p = name();
      await d.putContent(p, 'content');
      for (const range of [{ offset: -1 }, { length: -2 }, { offset: 1.5 }, { offset: Number.NaN }]) {
        await rejectsKind(d.reader(p, range), 'invalid_path');
      }
      await d.delete(p);
    });

    it('refuses path tricks before they reach the backend', async () => {
      for (const bad of [
        '..',
        '../x',
        'a/../b',
        '/abs',
        'a//b',
        'a/',
        'nul\u0000byte',
        'back\\slash',
        '.',
        'a/./b',
        '',
        `a/${'x'.repeat(256)}`,
        'ü'.repeat(128),
      ]) {
        await rejectsKind(d.getContent(bad), 'invalid_path');
        await rejectsKind(d.putContent(bad, 'x'), 'invalid_path');
      }
    });

    it('every error names the driver', async () => {
      const names = target?.errorNames ?? [d.name];
      await assert.rejects(d.getContent(name()), (err: Error) => names.some((n) => err.message.startsWith(`${n}: `)));
    });

    it('left nothing behind', async () => {
      await rejectsKind(d.list(''), 'not_found');
      assert.deepEqual((await target?.leftovers?.()) ?? [], [], 'hidden leftovers in the backend');
    });
  });
}
