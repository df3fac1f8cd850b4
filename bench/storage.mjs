// Streamed write and read of one large object (default 1 GiB) through each storage driver,
// beside a plain `cp` and `cat` of the same file on the same disk, with this process's peak
// RSS per driver. Run: npm run bench:storage  (BENCH_MB=256 for a quicker run;
// BENCH_DRIVERS=local,s3,glance to choose). S3 and Glance run on loopback against the real
// Ceph RGW and glance-api started by scripts/services/ (install them with
// scripts/services/install.sh), so their figures include a local server's work on the same 2 cores.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFromStream } from '../dist/storage/driver.js';
import { GlanceDriver } from '../dist/storage/drivers/glance.js';
import { LocalDriver } from '../dist/storage/drivers/local.js';
import { S3Driver } from '../dist/storage/drivers/s3.js';
import { GlanceApi } from '../dist/storage/openstack/glance-api.js';
import { startGlance, startRgw } from './services.mjs';

const MB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_MB ?? 1024) * MB;
const DRIVERS = (process.env.BENCH_DRIVERS ?? 'local,s3,glance').split(',');
const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-storage-'));
const source = path.join(work, 'source.bin');

function peakMiB() {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
}
function resetPeak() {
  writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS
}
const mbps = (bytes, ms) => (bytes / MB / (ms / 1000)).toFixed(0);
async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// The source: written once, in 1 MiB blocks that differ, so no store can deduplicate it.
{
  const out = createWriteStream(source);
  const block = randomBytes(MB);
  for (let i = 0; i < SIZE / MB; i++) {
    block.writeUInt32BE(i, 0);
    if (!out.write(Buffer.from(block))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
const PAIRED_RUNS = Math.max(REPEAT, 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Median time of REPEAT runs: writeback and the other processes on 2 cores make single runs noisy. */
async function medianMs(fn) {
  const times = [];
  for (let i = 0; i < REPEAT; i++) {
    // Start each run with no dirty pages: otherwise the kernel's writeback of the previous
    // run lands in this one, and the same code measures anywhere from 250 to 1200 MB/s.
    execFileSync('sync');
    times.push(await timed(fn));
  }
  return median(times);
}

// Every run is bounded: past the deadline, stop the services this run started and exit.
const stops = [];
const deadline = setTimeout(
  async () => {
    console.error('storage benchmark: over 20 minutes, giving up');
    await Promise.allSettled(stops.map((s) => s()));
    process.exit(1);
  },
  20 * 60 * 1000,
);
deadline.unref();

// The paired local runs keep every file they write until the end (see localPaired).
if (DRIVERS.includes('local')) {
  const { bavail, bsize } = statfsSync(work);
  const needed = (2 * PAIRED_RUNS + 2) * SIZE;
  if (bavail * bsize < needed) {
    console.error(`storage benchmark: needs ${(needed / 2 ** 30).toFixed(1)} GiB free in ${os.tmpdir()}; set BENCH_MB lower`);
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  }
}

const rows = [];
const copy = path.join(work, 'copy.bin');
const cpMs = await medianMs(async () => execFileSync('cp', [source, copy]));
// The local driver flushes each object to disk before publishing it; this is the same work by hand.
const cpSyncMs = await medianMs(async () => execFileSync('sh', ['-c', `cp '${source}' '${copy}' && sync '${copy}'`]));
const catMs = await medianMs(async () => execFileSync('sh', ['-c', `cat '${copy}' > /dev/null`]));
rows.push(['cp / cat', mbps(SIZE, cpMs), mbps(SIZE, catMs), '-']);
rows.push(['cp + sync (flushed, like local)', mbps(SIZE, cpSyncMs), '-', '-']);

async function measure(label, driver, key) {
  resetPeak();
  const writeMs = await medianMs(() => writeFromStream(driver, key, createReadStream(source, { highWaterMark: MB })));
  const readMs = await medianMs(async () => {
    for await (const _ of await driver.reader(key)) {
      // drain: serving a layer does not hash it
    }
  });
  rows.push([label, mbps(SIZE, writeMs), mbps(SIZE, readMs), peakMiB().toFixed(0)]);
  await driver.delete(key.split('/')[0]);
}

/**
 * local against the plain copy, run by run in turn (cp + sync, driver write, cat, driver
 * read, …), so that both see the same state of the disk. Every run of either side writes a
 * new file, as a registry does for every new layer, and nothing is deleted until the end: on
 * a thin-provisioned VM disk the first write to a block costs 3-4 times a rewrite, so a `cp`
 * that overwrites its own last copy (and reuses its blocks) against a driver that writes a
 * new file beside the old one (and gets fresh blocks) compares the disk's allocator, not the
 * code. Each read is of the file its side just wrote.
 */
async function localPaired(driver) {
  const runs = { cpSync: [], write: [], cat: [], read: [] };
  const copies = [];
  resetPeak();
  for (let i = 0; i < PAIRED_RUNS; i++) {
    const copy = path.join(work, `copy-${i}.bin`);
    const key = `images/bench-${i}/layer`;
    copies.push(copy);
    execFileSync('sync');
    runs.cpSync.push(await timed(async () => execFileSync('sh', ['-c', `cp '${source}' '${copy}' && sync '${copy}'`])));
    execFileSync('sync');
    runs.write.push(await timed(() => writeFromStream(driver, key, createReadStream(source, { highWaterMark: MB }))));
    dropCaches();
    runs.cat.push(await timed(async () => execFileSync('sh', ['-c', `cat '${copy}' > /dev/null`])));
    dropCaches();
    runs.read.push(
      await timed(async () => {
        for await (const _ of await driver.reader(key)) {
          // drain
        }
      }),
    );
  }
  const peak = peakMiB();
  for (const copy of copies) rmSync(copy);
  for (let i = 0; i < PAIRED_RUNS; i++) await driver.delete(`images/bench-${i}`);
  const spread = (xs) => `${mbps(SIZE, Math.max(...xs))}..${mbps(SIZE, Math.min(...xs))}`;
  // The ratio of each pair, then their median: a disk that slows down for a while slows both
  // sides of the pair it hits, and the median drops the pairs it split.
  const ratio = (mine, theirs) => `${(100 * median(mine.map((ms, i) => theirs[i] / ms))).toFixed(0)}%`;
  rows.push(['local, paired: cp + sync / cat', mbps(SIZE, median(runs.cpSync)), mbps(SIZE, median(runs.cat)), '-']);
  rows.push(['local, paired: driver', mbps(SIZE, median(runs.write)), mbps(SIZE, median(runs.read)), peak.toFixed(0)]);
  paired = {
    write: spread(runs.write),
    cpSync: spread(runs.cpSync),
    read: spread(runs.read),
    cat: spread(runs.cat),
    writeRatio: ratio(runs.write, runs.cpSync),
    readRatio: ratio(runs.read, runs.cat),
  };
}
let paired = null;

/**
 * Paired reads come from the disk, not the page cache, as a registry serving old layers reads
 * them, whenever this process may drop the caches (root); BENCH_COLD=0 reads warm instead.
 */
const COLD = process.env.BENCH_COLD !== '0' && canDropCaches();
function canDropCaches() {
  try {
    accessSync('/proc/sys/vm/drop_caches', constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
function dropCaches() {
  if (!COLD) return;
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '3');
}

for (const name of DRIVERS) {
  if (name === 'local') {
    const root = path.join(work, 'local');
    await localPaired(new LocalDriver(root));
  } else if (name === 's3') {
    const rgw = await startRgw();
    stops.push(rgw.stop);
    try {
      const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
      const d = new S3Driver({
        bucket: 'bench',
        prefix: 'registry',
        region: 'us-east-1',
        endpoint: rgw.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey },
        encrypt: false,
      });
      await d.client.send(new CreateBucketCommand({ Bucket: 'bench' }));
      await measure('s3 (Ceph RGW, bluestore)', d, 'images/bench/layer');
      await d.close();
    } finally {
      await rgw.stop();
    }
  } else if (name === 'glance') {
    const glance = await startGlance();
    stops.push(glance.stop);
    try {
      const d = new GlanceDriver(new GlanceApi(glance.url, null), new LocalDriver(path.join(work, 'alt')));
      await measure('glance (glance-api, file store)', d, `images/${'b'.repeat(64)}/layer`);
    } finally {
      await glance.stop();
    }
  }
}
rmSync(work, { recursive: true, force: true });

console.log(
  `Streamed ${SIZE / MB} MiB per driver; node ${process.version}, ${os.cpus().length} cores; page cache ${COLD ? 'dropped before each paired read' : 'warm for every row'}`,
);
console.log(`${'driver'.padEnd(34)}${'write MB/s'.padStart(11)}${'read MB/s'.padStart(11)}${'peak RSS MiB'.padStart(14)}`);
for (const [label, w, r, rss] of rows) console.log(`${label.padEnd(34)}${w.padStart(11)}${r.padStart(11)}${rss.padStart(14)}`);
const pct = (a, b) => `${((100 * Number(a)) / Number(b)).toFixed(0)}%`;
const base = rows.find((r) => r[0].startsWith('local, paired: cp'));
const mine = rows.find((r) => r[0] === 'local, paired: driver');
if (base && mine) {
  console.log(`local, paired runs: write ${paired.writeRatio} of cp + sync, read ${paired.readRatio} of cat (median of the ${PAIRED_RUNS} pairs' ratios)`);
  console.log(`  ratio of the medians: write ${pct(mine[1], base[1])}, read ${pct(mine[2], base[2])}`);
  console.log(`  spread (MB/s, slowest..fastest run): driver write ${paired.write}, cp + sync ${paired.cpSync}; driver read ${paired.read}, cat ${paired.cat}`);
}
console.log(`median of ${REPEAT} runs per figure, each after a sync; peak RSS is this process's (the driver side), reset per driver`);
