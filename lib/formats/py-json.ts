/**
 * JSON as Python's `json.dumps(data, sort_keys=True)` wrote it: keys sorted, `", "` and
 * `": "` separators, non-ASCII escaped as \uXXXX. V1 clients and scripts saw exactly these
 * bytes from docker-registry.
 */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pyString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : Number.isNaN(value) ? 'NaN' : '-Infinity';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${pyString(k)}: ${pyJson(v)}`).join(', ')}}`;
  }
  return pyString(String(value));
}

function pyString(s: string): string {
  // JSON.stringify escapes quotes, backslashes and control characters; Python also escapes non-ASCII.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
