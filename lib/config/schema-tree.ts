/**
 * The config schema read as a tree of option names, for the checks that look at keys rather
 * than values: which keys a mapping knows (unknown-key warnings, at every level) and which
 * hold secrets (redaction). A section added to the schema is covered without more code.
 */
import { z } from 'zod';
import { secretFields } from './fields.js';

export type Shape = Readonly<Record<string, z.ZodType>>;

/** The options of a mapping (a `section` is an object behind a preprocess step, maybe nullable); null for a leaf value. */
export function shapeOf(schema: z.ZodType): Shape | null {
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Shape) : null;
}

/** The options of each mapping in a list of mappings (`auth.access`); null for anything else. */
export function itemShapeOf(schema: z.ZodType): Shape | null {
  const inner = unwrap(schema);
  return inner instanceof z.ZodArray ? shapeOf(inner.element as z.ZodType) : null;
}

/** The schema behind preprocess steps and null/absent allowances. */
function unwrap(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodPipe) return unwrap(schema.out as z.ZodType);
  if (schema instanceof z.ZodNullable || schema instanceof z.ZodOptional) return unwrap(schema.unwrap() as z.ZodType);
  return schema;
}

export function isSecret(schema: z.ZodType): boolean {
  return secretFields.has(schema);
}

/** A value the schema passes through unread (`extensions`, CORS lists): its contents are not known options. */
export function isOpaque(schema: z.ZodType): boolean {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  return inner instanceof z.ZodUnknown;
}

/** The schema of a dotted path (`email_exceptions.smtp_password`), or undefined where the schema does not know it. */
export function schemaAt(shape: Shape, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: Shape | null = shape;
  let schema: z.ZodType | undefined;
  for (const part of path) {
    schema = current?.[String(part)];
    if (!schema) return undefined;
    current = shapeOf(schema);
  }
  return schema;
}
