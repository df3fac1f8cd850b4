import { rm } from 'node:fs/promises';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { MemoryDriver } from '../../lib/storage/drivers/memory.js';
import { tempDir } from '../support/config.js';
import { describeDriverSuite } from './driver-suite.js';

describeDriverSuite(
  'local',
  async () => {
    const root = tempDir('berth-local-');
    return { driver: new LocalDriver(root), cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  { big: true },
);

describeDriverSuite('memory', async () => ({ driver: new MemoryDriver() }));
