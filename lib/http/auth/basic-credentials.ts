/**
 * `Authorization: Basic` checked by passport-http's BasicStrategy (jaredhanson/passport-http
 * `lib/passport-http/strategies/basic.js`) against the htpasswd file. The strategy is run
 * directly, without passport's middleware: its success/fail/error are what it calls.
 *
 * passport-http splits the decoded credentials on every `:` and keeps the second piece, so a
 * password with a `:` in it (RFC 7617 allows one) would be cut short; the verify callback
 * takes the password from the header itself, everything after the first `:`.
 */
import type { IncomingMessage } from 'node:http';
import { BasicStrategy } from 'passport-http';

export type BasicOutcome = { kind: 'none' } | { kind: 'valid'; user: string } | { kind: 'invalid'; user: string };

type Verify = (user: string, password: string) => Promise<boolean>;

export function basicCredentials(req: IncomingMessage, verify: Verify): Promise<BasicOutcome> {
  const header = req.headers.authorization ?? '';
  if (!/^basic\s/i.test(header)) return Promise.resolve({ kind: 'none' });
  let claimed = '';
  return new Promise<BasicOutcome>((resolve, reject) => {
    const strategy = new BasicStrategy(
      { passReqToCallback: true },
      (request: IncomingMessage, user: string, _cut: string, done: (err: unknown, user?: unknown) => void) => {
        claimed = user;
        verify(user, fullPassword(request)).then(
          (ok) => done(null, ok ? user : false),
          (err) => done(err),
        );
      },
    );
    // The strategy calls exactly one of these (passport-strategy's contract).
    const run = Object.assign(Object.create(strategy), {
      success: (user: string) => resolve({ kind: 'valid', user }),
      fail: () => resolve(claimed ? { kind: 'invalid', user: claimed } : { kind: 'invalid', user: userOf(header) }),
      error: (err: unknown) => reject(err),
    });
    run.authenticate(req);
  });
}

function decoded(header: string): string {
  return Buffer.from(header.replace(/^basic\s+/i, '').trim(), 'base64').toString('utf8');
}

function fullPassword(req: IncomingMessage): string {
  const text = decoded(req.headers.authorization ?? '');
  return text.slice(text.indexOf(':') + 1);
}

/** the user name of credentials the strategy refused before asking (empty user or password) */
function userOf(header: string): string {
  const text = decoded(header);
  return text.includes(':') ? text.slice(0, text.indexOf(':')) : '';
}
