/**
 * The config schema read as a tree of option names, for the checks that look at keys rather
 * than values: which keys a mapping knows (unknown-key warnings, at every level). A section
 * added to the schema is covered without more code.
 */
import { z } from 'zod';

export type Shape = Readonly<Record<string, z.ZodType>>;

/** The options of a mapping (a `section` is an object behind a preprocess step); null for a leaf value. */
export function shapeOf(schema: z.ZodType): Shape | null {
  if (schema instanceof z.ZodObject) return schema.shape as Shape;
  if (schema instanceof z.ZodPipe) return shapeOf(schema.out as z.ZodType);
  return null;
}
