/**
 * Python 2's `urllib.quote_plus` and docker-registry's `check()`, byte for byte, because the
 * old registry stored every path component through them: an existing tree is only found if
 * Berth builds the very same names.
 */
const SAFE = /[A-Za-z0-9_.-]/;

/** quote_plus: keep A-Z a-z 0-9 _ . -, space → '+', everything else (UTF-8 bytes) → %XX upper-case. */
export function quotePlus(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x80 && SAFE.test(ch)) out += ch;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** docker-registry 0.8.1+ `check()`: `..` and `.` are escaped, then the value is quoted (again). */
export function checkComponent(value: string): string {
  if (value === '..') return quotePlus('%2E%2E');
  if (value === '.') return quotePlus('%2E');
  return quotePlus(value);
}

/** The inverse of quotePlus, leniently: an invalid escape leaves the value as it came. */
export function unquotePlus(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** A stored path component back to the name: quoted twice since 0.8.1 (a `%25` shows it), once before. */
export function unquoteStored(stored: string): string {
  return stored.includes('%25') ? unquotePlus(unquotePlus(stored)) : unquotePlus(stored);
}
