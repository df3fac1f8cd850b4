/**
 * The `ui:` key: the built-in web page at /ui/ (lib/http/routes/ui.ts). On by default.
 *
 *   ui: false                     # no page, no /ui/ routes
 *   ui: {record_addresses: true}  # the migration view also keeps each client's address
 *
 * `true`, `false` (or their YAML spellings, from `_env:`) stand for `{enabled: …}`.
 */
import { z } from 'zod';
import { bool } from './fields.js';

export const uiSchema = z.preprocess(
  (v) => (v === undefined || v === null ? {} : typeof v === 'object' ? v : { enabled: v }),
  z.looseObject(
    {
      /** serve /ui/ and its JSON API */
      enabled: bool(true),
      /** keep the address of each client in the activity record (privacy: off by default) */
      record_addresses: bool(false),
    },
    { error: 'expected true, false or a mapping {enabled, record_addresses}' },
  ),
);
