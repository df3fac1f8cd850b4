import { readdir, rm } from 'node:fs/promises';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { MemoryDriver } from '../../lib/storage/drivers/memory.js';
import { tempDir } from '../support/config.js';
import { describeDriverSuite } from './driver-suite.js';

describeDriverSuite(
  'local',
  async () => {
    const root = tempDir('berth-local-');
    // Temp files are hidden from listings, so look at the disk itself.
    const leftovers = async () => (await readdir(root, { recursive: true })).map(String);
    return { driver: new LocalDriver(root), leftovers, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  { big: true },
);

describeDriverSuite('memory', async () => ({ driver: new MemoryDriver() }));
