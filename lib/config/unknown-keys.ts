/**
 * Unknown keys are warnings, not errors: old files carry options Berth has no use for, and
 * refusing them would break a drop-in start. They are looked for in every section the schema
 * knows, and in each mapping of a list of them (`email_exceptions.smtp_pasword` and
 * `auth.access[0].grups` are as lost as a top-level typo), and a likely typo gets a "did you mean".
 */
import { isPlainObject } from './env.js';
import { itemShapeOf, type Shape, shapeOf } from './schema-tree.js';

export function closestKey(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `alsoKnown`: keys accepted quietly at this level although the schema does not read them. */
export function unknownKeyWarnings(tree: Record<string, unknown>, shape: Shape, alsoKnown: readonly string[] = [], prefix = ''): string[] {
  const known = [...Object.keys(shape), ...alsoKnown];
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const schema = shape[key];
    const children = schema ? shapeOf(schema) : null;
    if (children && isPlainObject(value)) warnings.push(...unknownKeyWarnings(value, children, [], `${prefix}${key}.`));
    const items = schema ? itemShapeOf(schema) : null;
    if (items && Array.isArray(value)) {
      value.forEach((item, i) => {
        if (isPlainObject(item)) warnings.push(...unknownKeyWarnings(item, items, [], `${prefix}${key}[${i}].`));
      });
    }
    if (known.includes(key)) continue;
    const guess = closestKey(key, known);
    warnings.push(`${prefix}${key}: unknown option, ignored${guess ? ` (did you mean ${prefix}${guess}?)` : ''}`);
  }
  return warnings;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}
