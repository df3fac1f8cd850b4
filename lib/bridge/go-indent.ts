/**
 * json.MarshalIndent(v, "", indent) for the small documents the bridge writes from Go structs:
 * schema1 payloads (distribution/distribution manifest/schema1/sign.go, three spaces) and
 * schema2/OCI manifests (manifest/schema2/manifest.go and manifest/ocischema/manifest.go
 * FromStruct, three spaces). Key order is the order of the object's properties, standing in for
 * the Go struct's field order; strings are escaped as Go escapes them.
 */
import { goQuote } from './go-string.js';

/** JSON text inserted as it is, like a json.RawMessage holding a scalar (e.g. an already quoted string). */
export class RawJson {
  constructor(readonly text: string) {}
}

export type GoValue = string | number | boolean | null | RawJson | readonly GoValue[] | { readonly [key: string]: GoValue };

export function marshalIndent(value: GoValue, indent: string): Buffer {
  return Buffer.from(write(value, '', indent), 'utf8');
}

function write(v: GoValue, prefix: string, indent: string): string {
  if (v instanceof RawJson) return v.text;
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') {
    // Go prints floats in its own shortest form; these documents hold only sizes and versions.
    if (!Number.isSafeInteger(v)) throw new TypeError(`marshalIndent: ${v} is not an integer`);
    return String(v);
  }
  if (typeof v === 'boolean' || v === null) return String(v);
  const inner = prefix + indent;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + write(x, inner, indent)).join(',\n')}\n${prefix}]`;
  }
  const keys = Object.keys(v);
  if (keys.length === 0) return '{}';
  const obj = v as { readonly [key: string]: GoValue };
  return `{\n${keys.map((k) => `${inner}${goQuote(k)}: ${write(obj[k] as GoValue, inner, indent)}`).join(',\n')}\n${prefix}}`;
}
