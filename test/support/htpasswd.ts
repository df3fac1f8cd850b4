/**
 * Password-file lines made by Apache's own `htpasswd` (apache2-utils, which
 * scripts/services/install.sh installs), so the hashes Berth checks are the ones operators have.
 */
import { execFileSync } from 'node:child_process';

/** htpasswd's flag for each format: bcrypt, apr1 MD5, {SHA}, DES crypt, SHA-256 and SHA-512 crypt. */
export const HTPASSWD_FLAGS = { bcrypt: 'B', apr1: 'm', sha1: 's', crypt: 'd', 'sha256-crypt': '2', 'sha512-crypt': '5' } as const;
export type HtpasswdFormat = keyof typeof HTPASSWD_FLAGS;

/** `user:hash` as `htpasswd -nb<flag> user password` prints it; `extra` adds options such as `-C 4`. */
export function htpasswdLine(format: HtpasswdFormat, user: string, password: string, extra: string[] = []): string {
  const out = execFileSync('htpasswd', [`-nb${HTPASSWD_FLAGS[format]}`, ...extra, user, password], { encoding: 'utf8' });
  return out.trim();
}

/** Just the hash of such a line. */
export function htpasswdHash(format: HtpasswdFormat, password: string, extra: string[] = []): string {
  const line = htpasswdLine(format, 'u', password, extra);
  return line.slice(line.indexOf(':') + 1);
}
