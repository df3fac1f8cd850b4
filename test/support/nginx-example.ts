/**
 * The shipped nginx example (contrib/nginx/berth.conf) run by a real nginx, changed only where
 * an operator changes it: the values marked CHANGE, and the lines its header says to comment
 * out or in for each way of checking passwords. Every change must find its text, so the tests
 * fail when the example and its instructions drift apart.
 */
import assert from 'node:assert/strict';
import { chmodSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { INSTALL_DIR } from '../../lib/version.js';
import { type NginxService, startNginx } from './services.js';
import type { Tls } from './smtp.js';

const EXAMPLE = path.join(INSTALL_DIR, 'contrib/nginx/berth.conf');

/**
 * Who checks the password (the example's header): `nginx` as shipped; `berth`, the auth_basic
 * lines commented out; `nginx-names-user`, the X-Remote-User line commented in.
 */
export type PasswordCheck = 'nginx' | 'berth' | 'nginx-names-user';

const EDITS: Record<PasswordCheck, Array<[string, string]>> = {
  nginx: [],
  berth: [
    ['\n  auth_basic "Berth Registry";', '\n  #auth_basic "Berth Registry";'],
    ['\n  auth_basic_user_file ', '\n  #auth_basic_user_file '],
  ],
  'nginx-names-user': [['#proxy_set_header X-Remote-User $remote_user;', 'proxy_set_header X-Remote-User $remote_user;']],
};

/** `text` with each `from` replaced by `to`; every `from` must occur. */
export function adapt(text: string, values: ReadonlyArray<readonly [string, string]>): string {
  let out = text;
  for (const [from, to] of values) {
    assert.ok(out.includes(from), `the example no longer contains ${JSON.stringify(from)}`);
    out = out.split(from).join(to);
  }
  return out;
}

/**
 * A real nginx on a free loopback port with the example, TLS from `tls` (its key beside its
 * cert), in front of `upstream` (`http://127.0.0.1:port`), passwords from `htpasswd`. Null
 * where nginx is not installed (outside CI).
 */
export async function startExampleNginx(
  upstream: string,
  tls: Tls,
  htpasswd: string,
  check: PasswordCheck = 'nginx',
  /** Berth's storage_path: the example's `/_berth_files/` location commented in (nginx_x_accel_redirect) */
  filesRoot: string | null = null,
): Promise<NginxService | null> {
  // nginx workers run as `nobody` when the master is root: they read the password file on each request.
  chmodSync(path.dirname(htpasswd), 0o755);
  chmodSync(htpasswd, 0o644);
  const text = readFileSync(EXAMPLE, 'utf8');
  const files: Array<[string, string]> = [];
  if (filesRoot) {
    const start = text.indexOf('  #location /_berth_files/ {');
    const end = text.indexOf('\n  #}\n', start) + '\n  #}'.length;
    assert.ok(start >= 0 && end > start, 'the example no longer has the /_berth_files/ location');
    const block = text.slice(start, end);
    files.push([block, block.replace(/^ {2}#/gm, '  ').replace('alias /var/lib/berth/;', `alias ${filesRoot.replace(/\/+$/, '')}/;`)]);
  }
  const example = adapt(text, [...EDITS[check], ...files]);
  return startNginx((port) =>
    adapt(example, [
      ['server 127.0.0.1:5000;', `server 127.0.0.1:${new URL(upstream).port};`],
      ['listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`],
      ['/etc/berth/tls/registry.crt', tls.certFile],
      ['/etc/berth/tls/registry.key', path.join(path.dirname(tls.certFile), 'key.pem')],
      ['/etc/berth/htpasswd', htpasswd],
    ]),
  );
}

const INSTANCES_EXAMPLE = path.join(INSTALL_DIR, 'contrib/nginx/berth-instances.conf');

/**
 * The shipped example for several instances: berth.conf with its upstream block replaced by
 * berth-instances.conf's, one `server` line per instance of `upstreams`. Plain HTTP and no
 * basic auth (TLS and passwords are the single-instance tests' subject), and one header added
 * for the test: X-Berth-Upstream, the instance nginx passed the request to.
 */
export async function startInstancesNginx(upstreams: readonly string[]): Promise<NginxService | null> {
  const example = readFileSync(EXAMPLE, 'utf8');
  const instances = readFileSync(INSTANCES_EXAMPLE, 'utf8');
  const block = (text: string) => {
    const m = /^upstream berth \{\n[\s\S]*?\n\}\n/m.exec(text);
    assert.ok(m, 'the example has an `upstream berth { ... }` block');
    return m[0];
  };
  const servers = instances.split('\n').filter((l) => /^ {2}server 127\.0\.0\.1:\d+ /.test(l));
  assert.ok(servers.length >= 2, 'the instances example lists at least two servers');
  const perInstance = (servers[0] as string).replace(/127\.0\.0\.1:\d+/, '%s').replace(/\s*#.*$/, '');
  const upstream = block(instances)
    .split('\n')
    .filter((l) => !servers.includes(l))
    .join('\n')
    .replace('upstream berth {\n', `upstream berth {\n${upstreams.map((u) => perInstance.replace('%s', new URL(u).host)).join('\n')}\n`);
  const site = adapt(example, [
    [block(example), upstream],
    ...EDITS.berth,
    ['listen 443 ssl;', 'listen 127.0.0.1:NGINX_PORT;'],
    ['  ssl_certificate     /etc/berth/tls/registry.crt;', '  #ssl_certificate'],
    ['  ssl_certificate_key /etc/berth/tls/registry.key;', '  #ssl_certificate_key'],
    ['  ssl_protocols TLSv1.2 TLSv1.3;', '  #ssl_protocols'],
    ['proxy_pass http://berth;', 'proxy_pass http://berth; add_header X-Berth-Upstream $upstream_addr always;'],
  ]);
  return startNginx((port) => site.replace('NGINX_PORT', String(port)));
}
