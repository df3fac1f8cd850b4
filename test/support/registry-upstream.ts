/**
 * A mirror's upstream: Debian's `docker-registry` (distribution 2.8) on a filesystem root, on
 * 127.0.0.1 and a free port, with htpasswd or bearer-token auth, and its access log (the
 * combined-format lines it writes on stdout) read back, so that a test counts the requests
 * the upstream really served. Stopped by its PID. Two of them may share one root: an open one
 * to push fixtures, and the guarded one the mirror follows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './config.js';
import { freePort } from './services.js';

export interface UpstreamRequestLine {
  method: string;
  path: string;
  status: number;
}

export interface RegistryUpstream {
  url: string;
  /** requests served so far, from the access log */
  requests(): UpstreamRequestLine[];
  stop(): Promise<void>;
}

export type UpstreamAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; file: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootcertbundle: string };

const ACCESS_LINE = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

export async function startRegistryUpstream(rootDirectory: string, auth: UpstreamAuth = { kind: 'none' }): Promise<RegistryUpstream> {
  const port = await freePort();
  const config = path.join(tempDir('berth-upstream-'), 'config.yml');
  const authLines =
    auth.kind === 'htpasswd'
      ? ['auth:', `  htpasswd: {realm: upstream, path: ${JSON.stringify(auth.file)}}`]
      : auth.kind === 'token'
        ? [
            'auth:',
            '  token:',
            `    realm: ${JSON.stringify(auth.realm)}`,
            `    service: ${JSON.stringify(auth.service)}`,
            `    issuer: ${JSON.stringify(auth.issuer)}`,
            `    rootcertbundle: ${JSON.stringify(auth.rootcertbundle)}`,
          ]
        : [];
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: error}',
      'storage:',
      `  filesystem: {rootdirectory: ${JSON.stringify(rootDirectory)}}`,
      '  delete: {enabled: true}',
      `http: {addr: "127.0.0.1:${port}"}`,
      ...authLines,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const served: UpstreamRequestLine[] = [];
  let pending = '';
  child.stdout?.on('data', (d) => {
    pending += String(d);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const m = ACCESS_LINE.exec(line);
      if (m) served.push({ method: m[1] as string, path: m[2] as string, status: Number(m[3]) });
    }
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr = (stderr + String(d)).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${url}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    );
    if (up) return { url, requests: () => [...served], stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`docker-registry did not answer on ${url} within 10 s: ${stderr}`);
}
