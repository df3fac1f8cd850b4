/**
 * Field types shared by the config schema. Values reach them already YAML-typed (PyYAML
 * rules), so a boolean is normally a boolean; quoted forms are accepted too because the old
 * registry's users quoted values freely, and every miss says what it expected.
 */
import { z } from 'zod';

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0', '']);

/** A boolean; null/absent gives `fallback`. Quoted "true"/"false" (any YAML 1.1 spelling) are accepted. */
export function bool(fallback: boolean) {
  return boolOr(fallback);
}

/** A boolean, or null when absent: "decide from the rest of the config". */
export function optionalBool() {
  return boolOr(null);
}

function boolOr<F extends boolean | null>(fallback: F) {
  return z
    .union([z.boolean(), z.string(), z.number(), z.null()], { error: 'expected true or false' })
    .optional()
    .transform((v, ctx): boolean | F => {
      if (v === undefined || v === null || (fallback === null && v === '')) return fallback;
      if (typeof v === 'boolean') return v;
      const word = String(v).trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true or false, got ${JSON.stringify(v)}` });
      return z.NEVER;
    });
}

/** An integer within [min, max]; null/absent gives `fallback`. Numeric strings are accepted. */
export function int(fallback: number | null, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) {
  return z
    .union([z.number(), z.string(), z.null()], { error: 'expected a whole number' })
    .optional()
    .transform((v, ctx): number | null => {
      if (v === undefined || v === null || v === '') return fallback;
      const n = typeof v === 'number' ? v : /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isInteger(n)) {
        ctx.addIssue({ code: 'custom', message: `expected a whole number, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a number from ${min} to ${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });
}

/** A positive duration in seconds (fractions allowed); null/absent gives `fallback`. */
export function seconds(fallback: number) {
  return z
    .union([z.number(), z.string(), z.null()], { error: 'expected a number of seconds' })
    .optional()
    .transform((v, ctx): number => {
      if (v === undefined || v === null || v === '') return fallback;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) {
        ctx.addIssue({ code: 'custom', message: `expected a number of seconds (0 or more), got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    });
}

/** A string; null/absent/empty gives null. Numbers are turned into strings (a YAML `port: 80` in a host field, say). */
export function str() {
  return z
    .union([z.string(), z.number(), z.null()], { error: 'expected a string' })
    .optional()
    .transform((v): string | null => (v === undefined || v === null || v === '' ? null : String(v)));
}

/**
 * Fields whose values are never shown: `--check-config` output is pasted into tickets, so
 * redaction follows this mark on the schema rather than guessing from key names.
 */
export const secretFields = z.registry<{ secret: true }>();

/** A string that is a password or a secret key. */
export function secret() {
  return str().register(secretFields, { secret: true });
}

/** A string that must be given; `what` says what it is, for the message when it is missing. */
export function requiredStr(what: string) {
  return str().transform((v, ctx): string => {
    if (v !== null) return v;
    ctx.addIssue({ code: 'custom', message: `required: ${what}` });
    return z.NEVER;
  });
}

/** A list of strings (numbers become strings: a YAML `[1234]` user name); null/absent gives []. */
export function stringList(example: string) {
  return z
    .union([z.array(z.union([z.string(), z.number()])), z.null()], { error: `expected a list, e.g. ${example}` })
    .optional()
    .transform((v): string[] => (v ?? []).map(String));
}

/** A string with a default for null/absent/empty. */
export function strOr(fallback: string) {
  return str().transform((v) => v ?? fallback);
}

/** A mapping section that is null when null or absent: "this feature is off". */
export function optionalSection<T extends z.ZodRawShape>(shape: T) {
  const obj = z.looseObject(shape, { error: 'expected a mapping' });
  return z.preprocess((v) => (v === undefined ? null : v), obj.nullable());
}

/** A mapping section that may be null or absent (then every member takes its default). */
export function section<T extends z.ZodRawShape>(shape: T) {
  const obj = z.looseObject(shape);
  return z.preprocess((v) => (v === undefined || v === null ? {} : v), obj);
}
