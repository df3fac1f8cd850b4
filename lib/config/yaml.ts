/**
 * YAML parsing that types scalars the way PyYAML (YAML 1.1) did, because the old
 * registry's config files and `_env:` values were read by PyYAML.
 *
 * js-yaml's YAML11_SCHEMA is close but reads `y`/`n` (and `Y`/`N`) as booleans; PyYAML's
 * resolver leaves them as strings, so the bool tag is replaced. An empty document is
 * null, as `yaml.load("")` is in Python.
 */
import { defineScalarTag, load, NOT_RESOLVED, YAML11_SCHEMA } from 'js-yaml';

const PY_TRUE = ['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const PY_FALSE = ['no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];

const pyBoolTag = defineScalarTag<boolean>('tag:yaml.org,2002:bool', {
  implicit: true,
  implicitFirstChars: ['y', 'Y', 'n', 'N', 't', 'T', 'f', 'F', 'o', 'O'],
  resolve: (source) => {
    if (PY_TRUE.includes(source)) return true;
    if (PY_FALSE.includes(source)) return false;
    return NOT_RESOLVED;
  },
  identify: (v: unknown) => typeof v === 'boolean',
  represent: (v: boolean) => (v ? 'true' : 'false'),
});

const PY_SCHEMA = YAML11_SCHEMA.withTags(pyBoolTag);

/** Parse one YAML document with PyYAML typing. Throws js-yaml's YAMLException on bad input. */
export function parseYaml(text: string, filename?: string): unknown {
  if (text.trim() === '') return null;
  return load(text, { schema: PY_SCHEMA, ...(filename ? { filename } : {}) });
}
