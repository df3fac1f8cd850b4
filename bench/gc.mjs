// `berth gc --dry-run` and `berth gc` on generated local stores of 1,000 and 10,000 V1 images
// and as many V2 blobs (small objects, written straight to storage with the layout module,
// half of each live and half orphaned), each run in a process of its own: objects examined
// per second, the run's peak RSS and the heap still in use at its end (after a full GC), to show
// how memory grows with the store.
// Run: npm run bench:gc  (BENCH_GC_SIZES=1000,10000 to choose; bounded by BENCH_GC_MAX_S, 240 s).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZES = (process.env.BENCH_GC_SIZES ?? '1000,10000').split(',').map(Number);
const MAX_MS = Number(process.env.BENCH_GC_MAX_S ?? 240) * 1000;
const CHAIN = 10;
const BLOBS_PER_MANIFEST = 10;
const self = fileURLToPath(import.meta.url);
const sha = (data) => createHash('sha256').update(data).digest('hex');

if (process.argv[2] === '--run') await child(process.argv[3], process.argv[4] === 'dry');
else await parent();

async function parent() {
  const started = Date.now();
  console.log(`gc over local storage (${os.cpus().length} cores, shared with other work: figures are indicative)`);
  console.log('size    mode      objects  seconds  objects/s  peak RSS MiB  heap after MiB');
  for (const n of SIZES) {
    if (Date.now() - started > MAX_MS) {
      console.log(`(stopped before size ${n}: over ${MAX_MS / 1000} s)`);
      break;
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-gc-'));
    try {
      await generate(dir, n);
      for (const mode of ['dry', 'real']) {
        const out = spawnSync(process.execPath, ['--expose-gc', self, '--run', dir, mode], { encoding: 'utf8', timeout: MAX_MS });
        if (out.status !== 0) throw new Error(`gc run failed: ${out.stderr}`);
        const r = JSON.parse(out.stdout);
        console.log(
          `${String(n).padEnd(7)} ${(mode === 'dry' ? '--dry-run' : 'gc').padEnd(9)} ${String(r.objects).padStart(7)}  ${r.seconds.toFixed(2).padStart(7)}  ${String(Math.round(r.objects / r.seconds)).padStart(9)}  ${r.peakMiB.toFixed(1).padStart(12)}  ${r.heapMiB.toFixed(1).padStart(14)}   (swept ${r.swept})`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** n V1 images in chains of 10 (half the chains tagged) and n V2 blobs in manifests of 10 (half the manifests tagged). */
async function generate(dir, n) {
  const { LocalDriver } = await import('../dist/storage/drivers/local.js');
  const { v1, v2 } = await import('../dist/storage/paths.js');
  const { parseDigest } = await import('../dist/checksums/digest.js');
  const storage = new LocalDriver(dir);
  const jobs = [];
  const flush = async (force = false) => {
    if (jobs.length >= 256 || force) await Promise.all(jobs.splice(0));
  };
  for (let c = 0; c < n / CHAIN; c++) {
    const ids = Array.from({ length: CHAIN }, (_, k) => sha(`image ${c} ${k}`));
    for (let k = 0; k < CHAIN; k++) {
      const id = ids[k];
      const json = JSON.stringify({ id, ...(k > 0 ? { parent: ids[k - 1] } : {}), created: '2015-01-01T00:00:00Z' });
      const layer = `layer ${c} ${k}`;
      jobs.push(storage.putContent(v1.imageJson(id), json));
      jobs.push(storage.putContent(v1.imageLayer(id), layer));
      jobs.push(storage.putContent(v1.imageAncestry(id), JSON.stringify(ids.slice(0, k + 1).reverse())));
      jobs.push(storage.putContent(v1.imageChecksum(id), JSON.stringify([`sha256:${sha(`${json}\n${layer}`)}`])));
      await flush();
    }
    if (c % 2 === 0) jobs.push(storage.putContent(v1.tag('bench', `repo${c % 50}`, `t${c}`), ids[CHAIN - 1]));
  }
  for (let m = 0; m < n / BLOBS_PER_MANIFEST; m++) {
    const name = `bench/r${m % 20}`;
    const layers = [];
    for (let b = 0; b < BLOBS_PER_MANIFEST; b++) {
      const data = `blob ${m} ${b}`;
      const digest = parseDigest(`sha256:${sha(data)}`);
      layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: data.length, digest: digest.value });
      jobs.push(storage.putContent(v2.blobData(digest), data).then(() => storage.putContent(v2.layerLink(name, digest), digest.value)));
      await flush();
    }
    if (m % 2 === 1) continue; // these blobs were uploaded, but no manifest names them: orphans
    const [config, ...rest] = layers;
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
      layers: rest,
    });
    const digest = parseDigest(`sha256:${sha(manifest)}`);
    await flush(true);
    await storage.putContent(v2.blobData(digest), manifest);
    await storage.putContent(v2.revisionLink(name, digest), digest.value);
    await storage.putContent(v2.tagCurrent(name, `m${m}`), digest.value);
  }
  await flush(true);
}

async function child(dir, dry) {
  const { LocalDriver } = await import('../dist/storage/drivers/local.js');
  const { collectGarbage } = await import('../dist/maintenance/gc.js');
  const storage = new LocalDriver(dir);
  writeRefs();
  const t = performance.now();
  const report = await collectGarbage(storage, { dryRun: dry, graceMs: 0, clockSlackMs: 0 });
  const seconds = (performance.now() - t) / 1000;
  const peakMiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  const objects = report.examined.v1Images + report.examined.v2Blobs;
  globalThis.gc?.();
  const heapMiB = process.memoryUsage().heapUsed / 1024 / 1024;
  process.stdout.write(JSON.stringify({ objects, seconds, peakMiB, heapMiB, swept: report.freed.objects }));
}

/** Start the peak from here: what loading the modules took is not the run's. */
function writeRefs() {
  try {
    writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM to the current RSS (Linux)
  } catch {
    // not Linux: the peak includes start-up
  }
}
