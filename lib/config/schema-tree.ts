/**
 * The config schema read as a tree of option names, for the checks that look at keys rather
 * than values: which keys a mapping knows (unknown-key warnings, at every level) and which
 * hold secrets (redaction). A section added to the schema is covered without more code.
 */
import { z } from 'zod';
import { secretFields } from './fields.js';

export type Shape = Readonly<Record<string, z.ZodType>>;

/** The options of a mapping (a `section` is an object behind a preprocess step); null for a leaf value. */
export function shapeOf(schema: z.ZodType): Shape | null {
  if (schema instanceof z.ZodObject) return schema.shape as Shape;
  if (schema instanceof z.ZodPipe) return shapeOf(schema.out as z.ZodType);
  return null;
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
