/**
 * The password hashes Apache's `htpasswd` writes (apache/httpd `support/htpasswd.c` and
 * apr-util `crypto/apr_passwd.c`, which checks them), and nothing else: an operator makes the
 * file with the tool they already have.
 *
 *   -B  bcrypt          `$2y$05$…` (also `$2a$`, `$2b$` from other bcrypt tools)   bcryptjs
 *   -m  apr1 MD5        `$apr1$salt$…` (the default)                               apache-md5
 *   -s  SHA-1           `{SHA}` + base64 of the unsalted digest                    node:crypto
 *   -d  DES crypt(3)    13 characters, only the first 8 password bytes count       unix-crypt-td-js
 *   -2  SHA-256 crypt   `$5$[rounds=N$]salt$…` (htpasswd 2.4.59 and later)          unixcrypt
 *   -5  SHA-512 crypt   `$6$[rounds=N$]salt$…`                                     unixcrypt
 *
 * `-p` (plain text) is refused: it only works on Windows and NetWare, and a file holding
 * passwords in the clear should not be accepted silently. Where the digest is compared here
 * rather than inside the library, the comparison takes the same time wherever the strings
 * differ.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import bcrypt from 'bcryptjs';
import { encrypt as shaCrypt } from 'unixcrypt';

// Both are CommonJS modules that export one function: apache-md5's bundled types describe an
// ES default export instead, and unix-crypt-td-js has none.
const require = createRequire(import.meta.url);
type Crypt = (password: string, salt: string) => string;
const aprMd5 = require('apache-md5') as Crypt;
const unixCryptTD = require('unix-crypt-td-js') as Crypt;

const B64 = '[./0-9A-Za-z]';

export type HashScheme = 'bcrypt' | 'apr1' | 'sha1' | 'crypt' | 'sha256-crypt' | 'sha512-crypt';

const SCHEMES: ReadonlyArray<readonly [HashScheme, RegExp]> = [
  ['bcrypt', new RegExp(`^\\$2[aby]\\$(0[4-9]|[12]\\d|3[01])\\$${B64}{53}$`)],
  ['apr1', new RegExp(`^\\$apr1\\$${B64}{1,8}\\$${B64}{22}$`)],
  ['sha1', /^\{SHA\}[A-Za-z0-9+/]{27}=$/],
  ['crypt', new RegExp(`^${B64}{13}$`)],
  ['sha256-crypt', new RegExp(`^\\$5\\$(rounds=\\d{1,9}\\$)?${B64}{1,16}\\$${B64}{43}$`)],
  ['sha512-crypt', new RegExp(`^\\$6\\$(rounds=\\d{1,9}\\$)?${B64}{1,16}\\$${B64}{86}$`)],
];

/** Which of the supported formats `hash` is in; null for anything else (plain text included). */
export function hashScheme(hash: string): HashScheme | null {
  for (const [scheme, form] of SCHEMES) if (form.test(hash)) return scheme;
  return null;
}

export function isSupportedHash(hash: string): boolean {
  return hashScheme(hash) !== null;
}

/**
 * The cost of checking a password against `hash`, for telling hashes of the same effort apart:
 * the scheme and its work factor (bcrypt's cost, SHA-crypt's rounds).
 */
export function hashCost(hash: string): string {
  const scheme = hashScheme(hash);
  if (scheme === 'bcrypt') return `bcrypt:${hash.slice(4, 6)}`;
  if (scheme === 'sha256-crypt' || scheme === 'sha512-crypt') return `${scheme}:${/^\$\d\$rounds=(\d+)\$/.exec(hash)?.[1] ?? '5000'}`;
  return String(scheme);
}

/** Whether `password` is the one `hash` was made from. False for an unsupported hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  switch (hashScheme(hash)) {
    case 'bcrypt':
      return bcrypt.compare(password, hash);
    case 'apr1':
      return sameText(aprMd5(byteString(password), hash), hash);
    case 'sha1':
      return sameText(`{SHA}${createHash('sha1').update(password, 'utf8').digest('base64')}`, hash);
    case 'crypt':
      return sameText(unixCryptTD(byteString(password), hash.slice(0, 2)), hash);
    case 'sha256-crypt':
    case 'sha512-crypt':
      // The salt part (`$6$rounds=N$salt`) makes encrypt() use the same scheme, rounds and salt.
      return sameText(shaCrypt(password, hash.slice(0, hash.lastIndexOf('$'))), hash);
    default:
      return false;
  }
}

/**
 * The password's UTF-8 bytes, one character each. htpasswd hashes the bytes it was given; the
 * apr1 and DES libraries read one character as one byte (apache-md5 hashes with the `ascii`
 * encoding, which keeps the low byte), so a non-ASCII password must reach them as its bytes.
 */
function byteString(password: string): string {
  return Buffer.from(password, 'utf8').toString('latin1');
}

function sameText(computed: string, expected: string): boolean {
  const a = Buffer.from(computed, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
