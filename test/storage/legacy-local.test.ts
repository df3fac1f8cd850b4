import { cpSync } from 'node:fs';
import { createStorage } from '../../lib/storage/factory.js';
import { tempDir, testConfig } from '../support/config.js';
import { describeLegacyTree, LEGACY_TREES, treeDir } from './legacy-tree.js';

for (const version of LEGACY_TREES) {
  describeLegacyTree('local', version, async () => {
    const copy = tempDir('berth-legacy-');
    cpSync(treeDir(version), copy, { recursive: true });
    return createStorage(testConfig('', {}, copy));
  });
}
