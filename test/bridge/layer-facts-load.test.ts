// Large streams through the layer inspector: memory stays flat (asserted) and what inspection
// costs the pass-through (printed for the record, not asserted: the machine is shared).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { inspectLayer } from '../../lib/bridge/layer-facts.js';
import { DigestingStream } from '../../lib/checksums/digest.js';
import { STREAM_CHUNK } from '../../lib/storage/driver.js';
import { incompressible, layerLike } from './generated-data.js';

const MiB = 1 << 20;

/**
 * `unit` repeated `times` times in 1 MiB chunks. Each chunk is a fresh copy, as bytes from a
 * socket are: chunks held anywhere (a decompressor queue that ignores backpressure) then cost
 * memory, where views of the one unit would not.
 */
function repeated(unit: Buffer, times: number): Readable {
  return Readable.from(
    (function* () {
      for (let n = 0; n < times; n++) for (let at = 0; at < unit.length; at += MiB) yield Buffer.from(unit.subarray(at, at + MiB));
    })(),
  );
}

const discard = () =>
  new Writable({
    highWaterMark: STREAM_CHUNK,
    write(_chunk, _enc, cb) {
      cb();
    },
  });

describe('bridge: layer inspector under load', () => {
  it('256 MiB of gzip stream through with resident memory growing far less than the data', async function () {
    this.timeout(120_000);
    const plain = incompressible(8 * MiB);
    const member = gzipSync(plain, { level: 1 });
    const times = 32;
    const expected = createHash('sha256');
    for (let n = 0; n < times; n++) expected.update(plain);

    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const inspector = inspectLayer();
    try {
      await pipeline(repeated(member, times), inspector, discard());
    } finally {
      clearInterval(sample);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const facts = inspector.facts;
    assert.equal(facts.size, member.length * times);
    assert.equal(facts.diffId, `sha256:${expected.digest('hex')}`);
    assert.equal(facts.uncompressedSize, plain.length * times);
    const grewMiB = (peak - before) / MiB;
    console.log(`      ${(facts.size / MiB).toFixed(0)} MiB through; resident memory grew ${grewMiB.toFixed(1)} MiB at the peak`);
    assert.ok(grewMiB < 64, `resident memory grew ${grewMiB.toFixed(1)} MiB`);
  });

  it('throughput of the pass-through with and without inspection (printed, not asserted)', async function () {
    this.timeout(300_000);
    const text = layerLike(8 * MiB);
    const gzipped = gzipSync(text, { level: 6 });
    const tarTimes = 32;
    const gzTimes = Math.ceil((256 * MiB) / gzipped.length);
    const runs: Array<[string, Buffer, number, () => Transform | null]> = [
      ['gzip, no stage (pipe only)', gzipped, gzTimes, () => null],
      ['gzip, sha256 only (DigestingStream)', gzipped, gzTimes, () => new DigestingStream()],
      ['gzip, inspected (gunzip + 2× sha256)', gzipped, gzTimes, () => inspectLayer()],
      ['uncompressed tar, sha256 only', text, tarTimes, () => new DigestingStream()],
      ['uncompressed tar, inspected', text, tarTimes, () => inspectLayer()],
    ];
    console.log(
      `      gzip blob ${((gzipped.length * gzTimes) / MiB).toFixed(0)} MiB (${(text.length / gzipped.length).toFixed(1)}× compression); tar ${tarTimes * 8} MiB`,
    );
    for (const [label, unit, times, stage] of runs) {
      const start = process.hrtime.bigint();
      const s = stage();
      await (s ? pipeline(repeated(unit, times), s, discard()) : pipeline(repeated(unit, times), discard()));
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      console.log(`      ${label.padEnd(40)} ${((unit.length * times) / MiB / seconds).toFixed(0).padStart(5)} MiB/s of blob`);
    }
  });
});
