/**
 * What `--check-config` shows: the effective settings with secrets replaced, so the output
 * can be pasted into a ticket. The schema says which fields are secrets; a key
 * it does not know (a typo, a newer release's option) is redacted when it looks like one: by
 * its words, or by being a near miss of a secret field (`smtp_pasword`). A password in a URL's
 * userinfo is redacted wherever the URL is.
 */
import { z } from 'zod';
import { isPlainObject } from './env.js';
import type { Config } from './load.js';
import { configSchema } from './schema.js';
import { isOpaque, isSecret, type Shape, shapeOf } from './schema-tree.js';
import { closestKey } from './unknown-keys.js';
import { hideUrlPasswords } from './url-passwords.js';

const REDACTED = '[redacted]';
const SECRET_WORDS = /pass|pwd|secret|token|key|credential/i;

/** The file's options plus what loadConfig adds, none of which is secret. */
const CONFIG_SHAPE: Shape = { ...configSchema.shape, flavor: z.unknown(), source: z.unknown(), listen: z.unknown() };

export function redactedConfig(config: Readonly<Config>): Record<string, unknown> {
  const { envVars: _, ...shown } = config;
  return redactMapping(shown, CONFIG_SHAPE);
}

function redactMapping(tree: Readonly<Record<string, unknown>>, shape: Shape): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(tree).map(([key, value]) => {
      const schema = shape[key];
      if (value === null || value === undefined) return [key, null];
      if (schema ? isSecret(schema) : looksSecret(key, shape)) return [key, REDACTED];
      // Below an unknown key, or inside a value the schema does not read, only the words tell.
      const children = schema ? (isOpaque(schema) ? {} : shapeOf(schema)) : {};
      return [key, redactValue(value, children ?? {})];
    }),
  );
}

function redactValue(value: unknown, shape: Shape): unknown {
  if (typeof value === 'string') return hideUrlPasswords(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, {}));
  return isPlainObject(value) ? redactMapping(value, shape) : value;
}

function looksSecret(key: string, shape: Shape): boolean {
  if (SECRET_WORDS.test(key)) return true;
  const near = closestKey(key, Object.keys(shape));
  return near !== null && isSecret(shape[near] as z.ZodType);
}
