import { cpSync } from 'node:fs';
import { LocalDriver } from '../../lib/storage/drivers/local.js';
import { tempDir } from '../support/config.js';
import { describeLegacyTree, LEGACY_TREES, treeDir } from './legacy-tree.js';

for (const version of LEGACY_TREES) {
  describeLegacyTree('local', version, async () => {
    const copy = tempDir('berth-legacy-');
    cpSync(treeDir(version), copy, { recursive: true });
    return new LocalDriver(copy);
  });
}
