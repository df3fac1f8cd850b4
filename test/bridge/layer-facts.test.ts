import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { gzipDeterministic } from '../../lib/bridge/gzip-layer.js';
import { inspectLayer, type LayerFacts } from '../../lib/bridge/layer-facts.js';
import { INSTALL_DIR } from '../../lib/version.js';
import { incompressible } from './generated-data.js';

const fixture = (name: string) => readFileSync(path.join(INSTALL_DIR, 'test/fixtures/bridge', name));
// The worked example's hand-made layer (Berth's own vector: its digests were computed outside
// Berth by two independent implementations) and distribution's gzipped empty tar
// (distribution/distribution manifest/schema1/config_builder.go gzippedEmptyTar); see
// test/fixtures/bridge/README.md.
const HELLO_GZ = fixture('hello-layer.tar.gz');
const DISTRIBUTION_EMPTY_GZ = fixture('distribution-empty-layer.tar.gz');
const HELLO_BLOB = 'sha256:376418ea7fe9755bf58b5eb8ef0a18104f57ab92073077da2535637e7624e8d1';
const HELLO_DIFF_ID = 'sha256:42f7fc56821cd241c4965147b4604ce9632e9d1416767faf60b40fcb7462cd81';
const EMPTY_TAR_DIFF_ID = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
const EMPTY_STRING_DIFF_ID = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const HELLO_TAR = gunzipSync(HELLO_GZ);

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

function compressWith(program: string, data: Buffer): Buffer {
  const run = spawnSync(program, ['-c'], { input: data, maxBuffer: 1 << 30 });
  assert.equal(run.status, 0, `${program}: ${String(run.stderr)}`);
  return run.stdout;
}

/** Stream `chunks` through an inspector into memory: its facts and what came out. */
async function inspect(chunks: Buffer[]): Promise<{ facts: LayerFacts; out: Buffer }> {
  const inspector = inspectLayer();
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk);
      cb();
    },
  });
  await pipeline(Readable.from(chunks), inspector, sink);
  return { facts: inspector.facts, out: Buffer.concat(out) };
}

/** The facts of `blob`, checking on the way that it passed through unchanged. */
async function factsOf(blob: Buffer, chunkSize = blob.length || 1): Promise<LayerFacts> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < blob.length; at += chunkSize) chunks.push(blob.subarray(at, at + chunkSize));
  const { facts, out } = await inspect(chunks);
  assert.deepEqual(out, blob, 'the pass-through changed the bytes');
  assert.equal(facts.size, blob.length);
  return facts;
}

describe('bridge: layer facts learnt while a blob streams through', () => {
  it("the worked example's hand-made layer: blob digest 376418ea…, DiffID 42f7fc56…, 3072 bytes of tar, not empty — also when fed a byte at a time", async () => {
    for (const chunkSize of [HELLO_GZ.length, 1, 4]) {
      assert.deepEqual(await factsOf(HELLO_GZ, chunkSize), {
        digest: HELLO_BLOB,
        size: 175,
        compression: 'gzip',
        diffId: HELLO_DIFF_ID,
        uncompressedSize: 3072,
        empty: false,
        problem: null,
      });
    }
  });

  it("distribution's 32-byte gzipped empty tar: digest a3ed95ca…, DiffID 5f70bf18…, empty", async () => {
    const facts = await factsOf(DISTRIBUTION_EMPTY_GZ);
    assert.equal(facts.digest, 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4');
    assert.equal(facts.diffId, EMPTY_TAR_DIFF_ID);
    assert.equal(facts.uncompressedSize, 1024);
    assert.equal(facts.empty, true);
  });

  it('a gzip of zero bytes (the empty layer of Docker < 1.3) has the empty-string DiffID e3b0c442… and is empty', async () => {
    const facts = await factsOf(gzipSync(Buffer.alloc(0)));
    assert.equal(facts.compression, 'gzip');
    assert.equal(facts.diffId, EMPTY_STRING_DIFF_ID);
    assert.equal(facts.uncompressedSize, 0);
    assert.equal(facts.empty, true);
  });

  it('an uncompressed tar is its own DiffID; 1024 zeros are empty, and so is a zero-byte upload', async () => {
    const tar = await factsOf(HELLO_TAR, 1000);
    assert.deepEqual([tar.compression, tar.digest, tar.diffId, tar.uncompressedSize, tar.empty], ['none', HELLO_DIFF_ID, HELLO_DIFF_ID, 3072, false]);
    const zeros = await factsOf(Buffer.alloc(1024));
    assert.deepEqual([zeros.compression, zeros.diffId, zeros.empty], ['none', EMPTY_TAR_DIFF_ID, true]);
    const nothing = await factsOf(Buffer.alloc(0));
    assert.deepEqual([nothing.compression, nothing.size, nothing.diffId, nothing.empty], ['none', 0, EMPTY_STRING_DIFF_ID, true]);
  });

  it('two concatenated gzip members are decompressed in full: the DiffID is that of the whole tar', async () => {
    const blob = Buffer.concat([gzipSync(HELLO_TAR.subarray(0, 1000)), gzipSync(HELLO_TAR.subarray(1000))]);
    const facts = await factsOf(blob);
    assert.deepEqual([facts.compression, facts.diffId, facts.uncompressedSize], ['gzip', HELLO_DIFF_ID, 3072]);
  });

  it('xz, bzip2 and zstd layers are told apart by their magic and decompressed by their programs', async () => {
    for (const [program, compression] of [
      ['xz', 'xz'],
      ['bzip2', 'bzip2'],
      ['zstd', 'zstd'],
    ] as const) {
      const facts = await factsOf(compressWith(program, HELLO_TAR), 3);
      assert.deepEqual([facts.compression, facts.diffId, facts.uncompressedSize, facts.problem], [compression, HELLO_DIFF_ID, 3072, null], program);
    }
  });

  it('a corrupt, truncated or trailing-garbage gzip still passes through whole; its DiffID is null with a reason', async () => {
    const corrupt = Buffer.from(HELLO_GZ);
    corrupt.fill(0x55, 40, 60);
    const truncated = HELLO_GZ.subarray(0, 100);
    // Go's gzip.Reader fails on this too (it reads the garbage as a second member's header).
    const garbage = Buffer.concat([HELLO_GZ, Buffer.from('garbage!')]);
    for (const blob of [corrupt, truncated, garbage, Buffer.from([0x1f, 0x8b])]) {
      const facts = await factsOf(blob, 16);
      assert.equal(facts.digest, sha256(blob));
      assert.equal(facts.compression, 'gzip');
      assert.deepEqual([facts.diffId, facts.uncompressedSize, facts.empty], [null, null, null]);
      assert.match(facts.problem ?? '', /^gzip stream does not decompress: /);
    }
  });

  it("NUL padding after the last gzip member is skipped (Node's zlib), the DiffID that of the tar", async () => {
    const facts = await factsOf(Buffer.concat([HELLO_GZ, Buffer.alloc(512)]), 100);
    assert.deepEqual([facts.diffId, facts.uncompressedSize, facts.problem], [HELLO_DIFF_ID, 3072, null]);
  });

  it("a corrupt bzip2 layer reports the program's own complaint, not the broken pipe it leaves behind", async function () {
    this.timeout(60_000);
    const big = compressWith('bzip2', incompressible(4 << 20));
    big.fill(0, 100, 200); // inside the first block: bzip2 gives up long before the input ends
    const facts = await factsOf(big, 64 * 1024);
    assert.equal(facts.diffId, null);
    assert.match(facts.problem ?? '', /^bzip2 stream does not decompress: bzip2 exited with 2: .*(data integrity|CRC)/i);
  });

  it('a missing zstd program leaves the DiffID null and says so', async () => {
    const blob = compressWith('zstd', HELLO_TAR);
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const facts = await factsOf(blob);
      assert.equal(facts.compression, 'zstd');
      assert.equal(facts.diffId, null);
      assert.match(facts.problem ?? '', /the zstd program is not installed/);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('an upload that fails half-way fails the pipeline and stops the decompressor, with nothing left dangling', async () => {
    const blob = compressWith('bzip2', incompressible(1 << 20));
    const source = Readable.from(
      (async function* () {
        yield blob.subarray(0, 1000);
        throw new Error('client went away');
      })(),
    );
    const inspector = inspectLayer();
    await assert.rejects(pipeline(source, inspector, new Writable({ write: (_c, _e, cb) => cb() })), /client went away/);
    assert.throws(() => inspector.facts, /once the stream has ended/);
  });

  it('facts are refused before the stream has ended', () => {
    assert.throws(() => inspectLayer().facts, /once the stream has ended/);
  });
});

describe('bridge: deterministic gzip for layers stored uncompressed', () => {
  async function gzipOf(chunks: Buffer[]): Promise<Buffer> {
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(chunks),
      gzipDeterministic(),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          out.push(chunk);
          cb();
        },
      }),
    );
    return Buffer.concat(out);
  }

  it('gives the same bytes however the tar is chunked, a header with mtime 0 and no name, and the tar back on gunzip', async () => {
    const tar = Buffer.concat([HELLO_TAR, incompressible(3 << 20), Buffer.alloc(1 << 20)]);
    const whole = await gzipOf([tar]);
    const pieces: Buffer[] = [];
    for (let at = 0, step = 1; at < tar.length; at += step, step = 1 + ((step * 7 + 13) % 70_001)) pieces.push(tar.subarray(at, at + step));
    assert.deepEqual(await gzipOf(pieces), whole);
    // RFC 1952: ID1 ID2 CM=8 FLG=0 (no name, comment or extra), MTIME=0.
    assert.deepEqual([...whole.subarray(0, 8)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    assert.deepEqual(gunzipSync(whole), tar);
    const facts = await factsOf(whole);
    assert.equal(facts.diffId, sha256(tar));
  });
});
