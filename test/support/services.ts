/**
 * Real backing services for the storage suites: Ceph RadosGW (S3) and OpenStack glance-api.
 * Each start runs scripts/services/{rgw,glance}.sh in a fresh temp dir on ports picked at run
 * time, bound to 127.0.0.1 only. scripts/services/README.md and the README's "Development"
 * section have the background.
 *
 * Missing packages: outside CI the suites are skipped (start* returns null, with a loud warning);
 * with CI=true (or 1) it is an error, so CI can never go green by silently skipping them.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPTS = path.join(REPO_ROOT, 'scripts', 'services');
const INSTALL_CMD = 'sudo bash scripts/services/install.sh';
const START_TIMEOUT_MS = 120_000;
// rgw stop is up to 3 daemons x (10 s TERM + 2 s KILL) in the worst case.
const STOP_TIMEOUT_MS = 60_000;

const RGW_BINARIES = ['radosgw', 'radosgw-admin', 'ceph', 'ceph-mon', 'ceph-osd', 'ceph-authtool', 'monmaptool'];
const GLANCE_BINARIES = ['glance-api', 'glance-manage'];

export interface S3Service {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
  stop(): Promise<void>;
}

export interface GlanceService {
  url: string;
  stop(): Promise<void>;
}

export interface RedisService {
  port: number;
  /** the redis-server process (a test may SIGSTOP it to play a frozen server) */
  readonly pid: number;
  stop(): Promise<void>;
  /** Stop it and start a new, empty one on the same port (a Redis that went away and came back). */
  restart(): Promise<void>;
}

/** A port that was free on 127.0.0.1 a moment ago (bind to port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error(`freePort: unexpected address ${String(addr)}`))));
    });
  });
}

/** Start a throw-away RGW. Null if the packages are missing outside CI. */
export async function startRgw(): Promise<S3Service | null> {
  return startRgwForFaults();
}

/** An RGW of its own (not the shared one), whose radosgw daemon a test may stop and start again. */
export interface RgwService extends S3Service {
  port: number;
  /** Stop the radosgw daemon alone: mon and OSD (and the objects in memstore) stay. */
  stopRgw(): Promise<void>;
  /** Start it again on the same port and wait until it answers. */
  startRgw(): Promise<void>;
}

/** Start a throw-away RGW that a test may stop and restart. Null if the packages are missing outside CI. */
export async function startRgwForFaults(): Promise<RgwService | null> {
  if (!available('S3 (Ceph RadosGW)', 'S3 storage driver', RGW_BINARIES)) return null;
  const port = await freePort();
  let monPort = await freePort();
  for (let i = 0; monPort === port && i < 10; i++) monPort = await freePort();
  const accessKey = 'TESTACCESSKEY';
  const secretKey = 'testsecretkey';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-rgw-'));
  const env = { RGW_DIR: dir, RGW_PORT: String(port), MON_PORT: String(monPort), RGW_ACCESS_KEY: accessKey, RGW_SECRET_KEY: secretKey };
  const stop = await startScript('rgw.sh', dir, env);
  const action = async (name: 'stop-rgw' | 'start-rgw') => {
    const r = await run('rgw.sh', name, env, START_TIMEOUT_MS);
    if (r.error) throw new Error(`rgw.sh ${name} ${r.error}; logs are in ${dir}. stderr:\n${r.stderr}`);
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKey,
    secretKey,
    region: 'us-east-1',
    stop,
    port,
    stopRgw: () => action('stop-rgw'),
    startRgw: () => action('start-rgw'),
  };
}

/** Start a throw-away glance-api (v2, no auth). Null if the packages are missing outside CI. */
export async function startGlance(): Promise<GlanceService | null> {
  if (!available('OpenStack Glance', 'Glance storage driver', GLANCE_BINARIES)) return null;
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-glance-'));
  const stop = await startScript('glance.sh', dir, { GLANCE_DIR: dir, GLANCE_PORT: String(port) });
  return { url: `http://127.0.0.1:${port}`, stop };
}

/** Start a throw-away redis-server (not shared: a test may stop it). Null if it is missing outside CI. */
export async function startRedis(): Promise<RedisService | null> {
  if (!available('Redis', 'Redis cache', ['redis-server', 'redis-cli'])) return null;
  const port = await freePort();
  const launch = async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-redis-'));
    const stop = await startScript('redis.sh', dir, { REDIS_DIR: dir, REDIS_PORT: String(port) });
    return { stop, pid: Number((await readFile(path.join(dir, 'pid'), 'utf8')).trim()) };
  };
  let current = await launch();
  return {
    port,
    get pid() {
      return current.pid;
    },
    stop: () => current.stop(),
    restart: async () => {
      await current.stop();
      current = await launch();
    },
  };
}

export interface NginxService {
  port: number;
  stop(): Promise<void>;
}

/**
 * Start a throw-away nginx on a free 127.0.0.1 port with the `http {}` body `site` (the caller
 * puts the port in it: `site(port)`), run out of its own prefix. Null if it is missing outside CI.
 */
export async function startNginx(site: (port: number) => string): Promise<NginxService | null> {
  // htpasswd (apache2-utils) makes the password files the nginx tests use.
  if (!available('nginx', 'nginx reverse proxy', ['nginx', 'htpasswd'])) return null;
  const port = await freePort();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-nginx-'));
  // Every compiled-in path (/var/lib/nginx/*, /var/log/nginx) is overridden, so nothing
  // outside the prefix is read or written.
  const conf = `worker_processes 1;
daemon off;
pid logs/nginx.pid;
error_log stderr notice;
events { worker_connections 512; }
http {
  access_log logs/access.log;
  client_body_temp_path tmp/body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
${site(port)}
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), conf);
  const stop = await startScript('nginx.sh', dir, { NGINX_DIR: dir, NGINX_PORT: String(port) });
  return { port, stop };
}

export interface ContainerdService {
  /** `ctr` against this containerd, by its own socket */
  ctr(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  /** where the native snapshotter unpacks layers */
  snapshots: string;
  stop(): Promise<void>;
}

/** Start a throw-away containerd (root needed to unpack). Null if it is missing, or not root, outside CI. */
export async function startContainerd(): Promise<ContainerdService | null> {
  if (!available('containerd', 'containerd', ['containerd', 'ctr'])) return null;
  if (process.getuid?.() !== 0) {
    if (isCi(process.env)) throw new Error('the containerd tests need root (containerd unpacks layers as root); CI runs as root');
    process.stderr.write('\n!! SKIPPING the containerd tests: they need root.\n\n');
    return null;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-containerd-'));
  const stop = await startScript('containerd.sh', dir, { CTRD_DIR: dir });
  const socket = path.join(dir, 'containerd.sock');
  return {
    ctr: (...args) =>
      new Promise((resolve, reject) =>
        execFile('ctr', ['--address', socket, ...args], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
          err ? reject(Object.assign(err, { stdout, stderr })) : resolve({ stdout, stderr }),
        ),
      ),
    snapshots: path.join(dir, 'root', 'io.containerd.snapshotter.v1.native', 'snapshots'),
    stop,
  };
}

// One instance of each per process, started lazily. A failed start is cached too, so every
// suite fails with the same error instead of each waiting out its own timeout.
let rgw: Promise<S3Service | null> | undefined;
let glance: Promise<GlanceService | null> | undefined;

export function sharedRgw(): Promise<S3Service | null> {
  rgw ??= startRgw();
  return rgw;
}

export function sharedGlance(): Promise<GlanceService | null> {
  glance ??= startGlance();
  return glance;
}

/** Stop whatever sharedRgw()/sharedGlance() started. Called by the root hooks (services-hooks.ts). */
export async function stopSharedServices(): Promise<void> {
  const started = [rgw, glance];
  rgw = undefined;
  glance = undefined;
  const services = await Promise.all(started.map((p) => p?.catch(() => null)));
  await Promise.all(services.map((s) => s?.stop()));
}

/** Run `<script> start`; resolves to an idempotent stop(). On failure, stops what it started and throws. */
async function startScript(script: string, dir: string, env: Record<string, string>): Promise<() => Promise<void>> {
  const started = await run(script, 'start', env, START_TIMEOUT_MS);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const r = await run(script, 'stop', env, STOP_TIMEOUT_MS);
      // On failure keep the dir (PID files, logs) so the exit fallback can still try.
      if (r.error) throw new Error(`${script} stop ${r.error}; state is in ${dir}. stderr:\n${r.stderr}`);
      running.delete(syncStop);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  // Last resort if the process exits without stopSharedServices()/stop(): 'exit' handlers
  // cannot await, but a synchronous child process still runs.
  const syncStop = (keepDir = false) => {
    spawnSync('bash', [path.join(SCRIPTS, script), 'stop'], { env: { ...process.env, ...env }, stdio: 'ignore', timeout: STOP_TIMEOUT_MS });
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };
  if (started.error) {
    syncStop(true); // the script stops on its own failures, but not when we time it out
    throw new Error(`${script} start ${started.error}; logs are in ${dir}. stderr:\n${started.stderr}`);
  }
  running.add(syncStop);
  return stop;
}

const running = new Set<() => void>();
process.once('exit', () => {
  for (const stop of running) stop();
});

interface RunResult {
  /** Undefined on success, else a description like "exited with code 1". */
  error: string | undefined;
  stderr: string;
}

function run(script: string, action: 'start' | 'stop' | 'stop-rgw' | 'start-rgw', env: Record<string, string>, timeout: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(SCRIPTS, script), action],
      { cwd: REPO_ROOT, env: { ...process.env, ...env }, timeout, maxBuffer: 16 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (!err) return resolve({ error: undefined, stderr });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: number | string | null; signal?: string | null };
        const why = e.killed ? `timed out after ${timeout / 1000} s` : e.signal ? `killed by ${e.signal}` : `exited with code ${String(e.code)}`;
        resolve({ error: why, stderr });
      },
    );
  });
}

const warned = new Set<string>();

/** skopeo (a real V2 client) is installed; outside CI its tests are skipped otherwise. */
export function skopeoAvailable(): boolean {
  return available('skopeo', 'V2 client (skopeo)', ['skopeo']);
}

/** Debian's chromium (the web page's browser tests drive it with playwright-core) is installed. */
export function chromiumAvailable(): boolean {
  return available('chromium', 'web page (chromium)', ['chromium']);
}

/** The reference registry (Debian's docker-registry, distribution 2.8) is installed. */
export function distributionAvailable(): boolean {
  return available('registry:2 (docker-registry)', 'registry:2 interoperability', ['docker-registry']);
}

/**
 * True if all binaries exist. Otherwise throws under CI, or warns loudly (once) and returns
 * false. Every start*() and *Available() goes through here, so a suite's `this.skip()` on a
 * null/false can only happen outside CI.
 */
export function available(service: string, suites: string, binaries: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const missing = binaries.filter((b) => !onPath(b));
  if (missing.length === 0) return true;
  const what = `${service} is not installed (missing: ${missing.join(', ')})`;
  if (isCi(env)) {
    throw new Error(`${what}. CI must run the ${suites} tests: run \`${INSTALL_CMD}\` in the CI image.`);
  }
  if (!warned.has(service)) {
    warned.add(service);
    const bar = '!'.repeat(100);
    process.stderr.write(
      `\n${bar}\n!! SKIPPING the ${suites} tests: ${what}.\n!! Enable them with: ${INSTALL_CMD}\n!! (With CI=true, this is an error instead.)\n${bar}\n\n`,
    );
  }
  return false;
}

/** CI as CI systems set it: `true` or `1` (any case, also yes/on); `CI=false` or empty is not CI. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  return ['true', '1', 'yes', 'on'].includes((env.CI ?? '').trim().toLowerCase());
}

function onPath(bin: string): boolean {
  const dirs = new Set([...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/usr/sbin', '/usr/local/bin']);
  for (const d of dirs) if (existsSync(path.join(d, bin))) return true;
  return false;
}

/** A new bucket on an RGW, and the config.yml lines (S3 keys of docker-registry) that reach it. */
export async function s3ConfigLines(rgw: S3Service, prefix = 'berth'): Promise<string> {
  const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const bucket = `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const client = new S3Client({
    region: rgw.region,
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: rgw.accessKey, secretAccessKey: rgw.secretKey },
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return `  storage: s3\n  boto_bucket: ${bucket}\n  boto_host: 127.0.0.1\n  boto_port: ${new URL(rgw.endpoint).port}\n  s3_access_key: ${rgw.accessKey}\n  s3_secret_key: ${rgw.secretKey}\n`;
}
