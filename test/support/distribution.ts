/**
 * The reference registry (distribution 2.8, Debian's `docker-registry`) on a filesystem root,
 * on 127.0.0.1 and a free port, stopped by its PID: the other half of the layout tests, and a
 * mirror's upstream (with htpasswd or bearer-token auth). Its access log (the combined-format
 * lines it writes on stdout) is read back, so a test counts the requests it really served.
 * Two of them may share one root: an open one to push fixtures, and a guarded one.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './config.js';
import { freePort } from './services.js';

export interface ServedRequest {
  method: string;
  path: string;
  status: number;
}

export interface Distribution {
  url: string;
  /** requests served so far, from the access log (a line is written once its response is done) */
  requests(): ServedRequest[];
  stop(): Promise<void>;
}

export type DistributionAuth =
  | { kind: 'none' }
  | { kind: 'htpasswd'; file: string }
  | { kind: 'token'; realm: string; service: string; issuer: string; rootcertbundle: string };

const ACCESS_LINE = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /;

function authLines(auth: DistributionAuth): string[] {
  if (auth.kind === 'htpasswd') return ['auth:', `  htpasswd: {realm: upstream, path: ${JSON.stringify(auth.file)}}`];
  if (auth.kind === 'none') return [];
  const { realm, service, issuer, rootcertbundle } = auth;
  return ['auth:', '  token:', ...Object.entries({ realm, service, issuer, rootcertbundle }).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)];
}

export async function startDistribution(rootDirectory: string, auth: DistributionAuth = { kind: 'none' }): Promise<Distribution> {
  const port = await freePort();
  const config = path.join(tempDir('berth-distribution-'), 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log: {level: error}',
      'storage:',
      `  filesystem: {rootdirectory: ${JSON.stringify(rootDirectory)}}`,
      '  delete: {enabled: true}',
      `http: {addr: "127.0.0.1:${port}"}`,
      // distribution ≥2.7 refuses schema1 pushes unless asked to take them
      'compatibility: {schema1: {enabled: true}}',
      ...authLines(auth),
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const served: ServedRequest[] = [];
  let pending = '';
  child.stdout?.on('data', (d) => {
    const lines = (pending + String(d)).split('\n');
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
      (r) => r.status === 200 || (auth.kind !== 'none' && r.status === 401),
      () => false,
    );
    if (up) return { url, requests: () => [...served], stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`docker-registry did not answer on ${url} within 10 s: ${stderr}`);
}
