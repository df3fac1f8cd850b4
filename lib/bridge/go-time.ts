/**
 * Timestamps as Go's time.Time reads and writes them in JSON (golang/go src/time/format.go:
 * UnmarshalJSON parses RFC 3339, MarshalJSON formats RFC3339Nano). Re-formatting keeps every
 * nanosecond, unlike a JavaScript Date, but normalises the spelling the way Go does: trailing
 * zeros of the fraction dropped (".120" → ".12", ".000" → ""), digits past the ninth cut, and
 * a zero offset written `Z`.
 */

const RFC3339 = /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60))(?:\.(\d+))?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** Go's zero time.Time, what a missing `created` marshals as. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

export function isRfc3339(text: string): boolean {
  return RFC3339.test(text);
}

/** The text json.Marshal writes for the time `text` parses to, or null if Go would not parse it. */
export function goTimeText(text: string): string | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, dateTime, fraction = '', zone = ''] = m;
  const nanos = fraction.slice(0, 9).replace(/0+$/, '');
  return `${dateTime}${nanos ? `.${nanos}` : ''}${/^[+-]00:00$/.test(zone) ? 'Z' : zone}`;
}
