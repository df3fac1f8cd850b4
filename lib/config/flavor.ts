/**
 * Picking a flavor out of the parsed file. One rule serves both generations of docker-registry
 * config files (docker/docker-registry `docker_registry/lib/config.py`; 0.6: `lib/config.py`): the
 * flavor is shallow-merged over a top-level `common` when there is one. 0.6–0.7 files rely on that
 * implicit merge; 0.8+ files already carry common's keys through `<<: *common`, so the merge
 * changes nothing for them. A flavor that must not inherit `common` says `inherit_common: false`.
 */

import { isPlainObject } from './env.js';
import { ConfigError } from './errors.js';

export function selectFlavor(doc: unknown, flavor: string, file: string): Record<string, unknown> {
  if (!isPlainObject(doc)) {
    throw new ConfigError([{ key: '', message: 'the file must hold a mapping of flavors (common, dev, prod, …)' }], flavor, file);
  }
  if (flavor === '') return { ...doc }; // SETTINGS_FLAVOR="": the whole document is the config, as in 0.8+
  const chosen = doc[flavor];
  if (chosen === undefined) {
    const known = Object.keys(doc).join(', ');
    throw new ConfigError(
      [{ key: '', envVar: 'SETTINGS_FLAVOR', message: `The specified flavor (${flavor}) is missing in your config file (${file}); it has: ${known}` }],
      flavor,
      file,
    );
  }
  if (chosen !== null && !isPlainObject(chosen)) {
    throw new ConfigError([{ key: '', message: 'a flavor must be a mapping of options' }], flavor, file);
  }
  const own = chosen ?? {};
  const common = doc.common;
  if (flavor === 'common' || own.inherit_common === false || !isPlainObject(common)) return { ...own };
  return { ...common, ...own };
}
