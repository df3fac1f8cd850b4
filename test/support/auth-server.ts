/**
 * A Berth with its own auth (an htpasswd file written by Apache's `htpasswd`) for the HTTP
 * tests: alice may pull, push and delete in alice/* and library/*, bob may pull library/*,
 * carol is known but has no rule.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadYaml, tempDir } from './config.js';
import { htpasswdLine } from './htpasswd.js';
import { startTestServer, type TestServer } from './server.js';

export const DOCKER_15 = 'docker/1.5.0 go/go1.4.1 git-commit/a8a31ef kernel/3.13.0 os/linux arch/amd64';

export const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
export const ALICE = basic('alice', 'alice-pw');
export const BOB = basic('bob', 'bob:pw'); // a colon in the password (RFC 7617 allows it)
export const CAROL = basic('carol', 'carol-pw');

/** The three users' lines: bcrypt, apr1, and {SHA}. */
export function htpasswdLines(): string[] {
  return [htpasswdLine('bcrypt', 'alice', 'alice-pw'), htpasswdLine('apr1', 'bob', 'bob:pw'), htpasswdLine('sha1', 'carol', 'carol-pw')];
}

export interface AuthTestServer extends TestServer {
  /** the password file the server reads (tests rewrite it) */
  htpasswdPath: string;
}

/** `extra`: more lines of the `auth:` section, indented four spaces; `top`: more top-level keys, indented two. */
export async function authServer(extra = '', top = ''): Promise<AuthTestServer> {
  const dir = tempDir('berth-auth-');
  const htpasswdPath = path.join(dir, 'htpasswd');
  writeFileSync(htpasswdPath, `${htpasswdLines().join('\n')}\n`);
  const yaml = `t:
  storage_path: ${path.join(dir, 'store')}
  standalone: true
  loglevel: error
  secret_key: test-secret-0123456789
${top}  auth:
    htpasswd:
      path: ${htpasswdPath}
      realm: Berth Test
    access:
      - users: [alice]
        repositories: ["alice/*", "library/*"]
        actions: [pull, push, delete]
      - users: [bob]
        repositories: ["library/*"]
        actions: [pull]
${extra}`;
  return { ...(await startTestServer(loadYaml(yaml, 't').config)), htpasswdPath };
}
