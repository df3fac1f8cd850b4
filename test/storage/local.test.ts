import assert, { rejects } from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { createMetrics } from '../../lib/metrics/registry.js';
import { CheckedDriver } from '../../lib/storage/checked-driver.js';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { MemoryDriver } from '../../lib/storage/drivers/memory.js';
import { createStorage } from '../../lib/storage/factory.js';
import { tempDir, testConfig } from '../support/config.js';
import { describeDriverSuite } from './driver-suite.js';

describeDriverSuite(
  'local',
  async () => {
    const root = tempDir('berth-local-');
    // Temp files are hidden from listings, so look at the disk itself.
    const leftovers = async () => (await readdir(root, { recursive: true })).map(String);
    // Built as the server builds it, counting into metrics.
    const driver = createStorage(testConfig('', {}, root), { metrics: createMetrics(false) });
    return { driver, leftovers, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  { big: true },
);

describeDriverSuite('memory', async () => ({ driver: new CheckedDriver(new MemoryDriver(), createMetrics(false)) }));

describe('local reader', () => {
  for (const [label, wrap] of [
    ['', (d: LocalDriver) => d],
    [', also with its bytes counted', (d: LocalDriver) => new CheckedDriver(d, createMetrics(false))],
  ] as const) {
    it(`closes its file when it ends, fails or is dropped halfway (no descriptor leaks)${label}`, async () => {
      const root = tempDir('berth-local-fd-');
      const d = wrap(new LocalDriver(root));
      const openFds = async () => (await readdir('/proc/self/fd')).length;
      try {
        await d.putContent('images/x/layer', randomBytes(5 * 1024 * 1024));
        const before = await openFds();
        for (let i = 0; i < 20; i++) {
          for await (const _ of await d.reader('images/x/layer')) {
            // read to the end
          }
          const dropped = await d.reader('images/x/layer', { offset: 1 });
          await new Promise<void>((resolve) => {
            dropped.once('data', () => dropped.destroy());
            dropped.once('close', () => resolve());
          });
        }
        await rejects(d.reader('images/x'), /not_found|path not found/, 'a directory is not an object');
        assert.equal(await openFds(), before);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  }
});
