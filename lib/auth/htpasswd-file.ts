/**
 * The users and passwords of `auth.htpasswd.path`, re-read when the file changes
 * (watched-file.ts says how, and why a broken version never locks anyone out).
 */
import type { Logger } from '../logging/logger.js';
import { CredentialCache, type CredentialCacheOptions } from './credential-cache.js';
import { decoyHash, parseHtpasswd } from './htpasswd-format.js';
import { verifyPassword } from './password-hashes.js';
import { WatchedFile, type WatchOptions } from './watched-file.js';

/**
 * Longer passwords are refused unchecked: SHA-crypt's work grows with the password's length, so
 * a Basic header of several kilobytes would cost a second of CPU per request. Real passwords
 * and access tokens are far shorter.
 */
export const MAX_PASSWORD_BYTES = 1024;

type PasswordCheck = (password: string, hash: string) => Promise<boolean>;

interface Passwords {
  users: ReadonlyMap<string, string>;
  decoy: string | null;
}

export class HtpasswdFile {
  private readonly file: WatchedFile<Passwords>;
  private readonly verified: CredentialCache;
  private readonly checkPassword: PasswordCheck;

  /**
   * Reads the file now; throws when it cannot be read or has a line that does not parse.
   * `checkPassword` is password-hashes.ts's verifyPassword unless a test counts the checks.
   */
  constructor(path: string, log: Logger, options: WatchOptions & { cache?: CredentialCacheOptions; checkPassword?: PasswordCheck } = {}) {
    this.file = new WatchedFile(path, 'htpasswd file', readPasswords, log, options);
    this.verified = new CredentialCache(options.cache);
    this.checkPassword = options.checkPassword ?? verifyPassword;
  }

  /**
   * Whether `password` is `user`'s. An unknown user's password is checked all the same, against
   * a hash like the file's usual one, so the answer takes as long as for a known user with a
   * wrong password and does not tell who exists.
   */
  async verify(user: string, password: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return false;
    const { users, decoy } = this.file.current();
    const hash = users.get(user);
    if (hash !== undefined) return this.verified.check(user, password, hash, this.checkPassword);
    if (decoy !== null) await this.checkPassword(password, decoy);
    return false;
  }

  /** Whether the file (as it is now) has a line for `user`: a token signed for a removed user stops working. */
  has(user: string): boolean {
    return this.file.current().users.has(user);
  }

  close(): void {
    this.file.close();
  }
}

function readPasswords(text: string) {
  const { users, problems } = parseHtpasswd(text);
  return { value: { users, decoy: decoyHash(users) }, entries: users.size, problems };
}
