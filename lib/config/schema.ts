/**
 * Every option docker-registry 0.6–0.9.1 understood (docker/docker-registry
 * `config/config_sample.yml`, 0.6: `config_sample.yml`, and the modules that read each key), plus
 * Berth's own few, as one zod schema. The `Config` type is inferred from it. Keys keep the old
 * snake_case names so that an error path is the key the operator wrote.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { authSchema } from './auth-schema.js';
import { bool, int, optionalBool, seconds, secret, section, str, strOr } from './fields.js';
import { mirrorV2Keys } from './mirror-schema.js';
import { processFields } from './process-settings.js';
import { uiSchema } from './ui-schema.js';

const LOG_LEVELS = { debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', critical: 'fatal', fatal: 'fatal' } as const;

const logLevel = z
  .union([z.string(), z.null()])
  .optional()
  .transform((v, ctx) => {
    const name = (v ?? 'info').toLowerCase();
    const level = LOG_LEVELS[name as keyof typeof LOG_LEVELS];
    if (!level) {
      ctx.addIssue({ code: 'custom', message: `unknown log level ${JSON.stringify(v)}; use one of debug, info, warning, error, critical` });
      return z.NEVER;
    }
    return level;
  });

/** `smtp_secure`: false → no TLS; true → STARTTLS; a path → STARTTLS with that client key; {keyfile, certfile} → with key and certificate. */
const smtpSecure = z
  .union([z.boolean(), z.string(), z.null(), z.strictObject({ keyfile: z.string(), certfile: z.string().optional() })], {
    error: 'expected false, true, a key file path, or {keyfile, certfile}',
  })
  .optional()
  .transform((v): { starttls: boolean; keyfile?: string; certfile?: string } => {
    if (v === undefined || v === null || v === false || v === '') return { starttls: false };
    if (v === true) return { starttls: true };
    if (typeof v === 'string') {
      const word = v.trim().toLowerCase();
      if (['false', 'no', 'off', '0'].includes(word)) return { starttls: false };
      if (['true', 'yes', 'on', '1'].includes(word)) return { starttls: true };
      return { starttls: true, keyfile: v };
    }
    return { starttls: true, keyfile: v.keyfile, ...(v.certfile ? { certfile: v.certfile } : {}) };
  });

const redis = section({ host: str(), port: int(6379, 1, 65535), db: int(0, 0), password: secret() });

export const configSchema = z.looseObject({
  // General
  loglevel: logLevel,
  debug: bool(false),
  issue: str(),
  standalone: bool(false),
  index_endpoint: strOr('https://index.docker.io').transform((v) => v.replace(/\/+$/, '')),
  disable_token_auth: bool(false),
  privileged_key: str(),
  registry_endpoints: str(),
  storage: strOr('local').transform((v) => v.toLowerCase()),
  storage_path: str(),
  storage_alternate: str(),
  storage_redirect: bool(false),
  nginx_x_accel_redirect: str(),
  search_backend: str(),
  sqlalchemy_index_database: strOr('sqlite:////tmp/docker-registry.db'),
  mirroring: section({
    source: str(),
    source_index: str(),
    tags_cache_ttl: int(172800, 0),
    // Berth: a V2 source (a pull-through cache of any V2 registry; README "Keep Docker 1.x hosts pulling")
    ...mirrorV2Keys,
  }),
  cache: redis,
  cache_lru: redis,
  email_exceptions: section({
    smtp_host: str(),
    smtp_port: int(25, 1, 65535),
    smtp_login: str(),
    smtp_password: secret(),
    smtp_secure: smtpSecure,
    from_addr: strOr('docker-registry@localdomain.local'),
    to_addr: strOr('noise+dockerregistry@localdomain.local'),
    // Berth: one mail per distinct failure per window, then a digest with the count.
    throttle_seconds: seconds(300),
    // Berth: at most this many mails per hour, whatever fails (0: no limit); one summary mail tells what was held back.
    max_mails_per_hour: int(20, 0),
    // Berth: CA file that the SMTP server's certificate must chain to (enables verification).
    smtp_ca: str(),
    // Berth: verify the SMTP server's certificate against the system CAs. Python's smtplib did not.
    smtp_tls_verify: bool(false),
  }),
  /** docker-registry's Bugsnag API key */
  bugsnag: secret(),
  cors: section({
    origins: z.unknown().optional(),
    methods: z.unknown().optional(),
    headers: z.unknown().optional(),
    expose_headers: z.unknown().optional(),
    supports_credentials: bool(false),
    max_age: int(null, 0),
    send_wildcard: bool(true), // Flask-CORS 1.x's default
    always_send: bool(true),
    automatic_options: bool(true),
    vary_header: bool(true),
    resources: z.unknown().optional(),
  }),
  extensions: z.unknown().optional(),
  secret_key: secret(),

  // S3 (docker-registry `docker_registry/drivers/s3.py` and docker-registry-core `core/boto.py`); read by the s3 driver
  s3_access_key: str(),
  s3_secret_key: secret(),
  boto_bucket: str(),
  s3_bucket: str(),
  s3_region: str(),
  s3_secure: bool(false), // the Python driver used HTTPS only when the value `is True`
  s3_encrypt: bool(false),
  s3_use_sigv4: bool(false),
  boto_host: str(),
  boto_port: int(null, 1, 65535),
  boto_debug: int(0),
  boto_calling_format: str(),
  boto_proxy: str(),
  boto_proxy_port: int(null, 1, 65535),
  boto_proxy_user: str(),
  boto_proxy_pass: secret(),
  cloudfront: section({ base: str(), keyid: str(), keysecret: secret() }),

  // Glance (docker-registry's glance driver: 0.6.x `lib/storage/glance.py`, later the
  // docker-registry-driver-glance package). It read these from OS_* environment variables only; they may
  // now also be set here, and the OS_* variables fill in what is not.
  glance_url: str(),
  os_auth_url: str(),
  os_username: str(),
  os_password: secret(),
  os_tenant_name: str(),
  os_region_name: str(),
  os_user_domain_name: strOr('Default'),
  os_project_domain_name: strOr('Default'),

  // Berth's own
  /** seconds that in-flight requests get to finish after SIGTERM */
  drain_timeout: seconds(60),
  /** idle keep-alive seconds; above nginx's and ELB's 60 s so the proxy closes first */
  keepalive_timeout: seconds(75),
  /** trust X-Forwarded-* from a reverse proxy */
  trust_proxy: bool(false),
  /**
   * With `cache` set, the per-image and per-upload locks and V1 push leases live in that Redis
   * (README "Several instances on one store"); a lock not renewed for this many seconds (its
   * instance died or stalled) is free again.
   */
  shared_lock_ttl: int(30, 1),
  /** where the per-image push locks shared by the worker processes of this host live */
  lock_dir: strOr(path.join(os.tmpdir(), 'berth-locks')),
  /** serve Prometheus metrics at /metrics */
  metrics: bool(true),
  /**
   * Serve the V2 API. Absent: yes, unless V1 is in token mode (standalone false and token
   * auth on), whose index tokens V2 clients cannot present; V2 would be open to anyone there.
   */
  v2_enabled: optionalBool(),
  /** an upload body (V1 layer, V2 blob) that sends nothing for this long is dropped; 0 = never */
  upload_idle_timeout: seconds(300),
  /** accept a V2 manifest list / OCI index whose manifests the repository does not hold (registry:2 refuses it) */
  v2_sparse_indexes: bool(false),

  // Limits (README "Limits"). Every default is far from what a legitimate client needs, even
  // on a slow link: they are there to stop a client that holds resources without using them.
  /**
   * Seconds a connection may take to send a request's headers (Node's headersTimeout), from
   * the moment it opens or its previous response ended. A client sends its headers in one
   * go, a few hundred bytes; 60 s is a link below 100 bytes/s. A proxy in front sends them at
   * once: its operator may lower this to close half-open connections sooner.
   */
  headers_timeout: seconds(60),
  /**
   * Every request body (layers and blobs included) must bring at least body_min_rate_bytes per
   * body_min_rate_interval seconds, else it is answered 408 and its connection closed. 1 KiB
   * per 30 s is 34 bytes/s, far below any real link; time in which Berth itself is not reading
   * (storage is slow, the request waits for a lock) never counts. 0 in either turns it off.
   */
  body_min_rate_bytes: int(1024, 0),
  body_min_rate_interval: seconds(30),
  /**
   * Seconds a small body read whole (V1 image JSON, tags, V2 manifests; at most a few MiB, a
   * few KiB as clients send them) may take in total, however steadily it trickles: 408 after.
   * 120 s is a 10 KiB manifest at 85 bytes/s. 0: no deadline.
   */
  small_body_timeout: seconds(120),
  /**
   * Connections served at once. Absent: half the process's open-file limit (less a reserve),
   * at most 10000: each connection may need a second descriptor (the file it streams), so the
   * process cannot run out of descriptors on connections alone. A connection beyond the cap is
   * answered 503 with Retry-After (up to a tenth more, at least 16), or closed at once beyond
   * that. 0: no cap.
   */
  max_connections: int(null, 0),
  /**
   * Connections one client address (an IPv6 /64) may hold at once; beyond: 429. Absent: half
   * of max_connections, so one address never takes them all; with trust_proxy, off (every
   * connection comes from the proxy: limit per client there, e.g. nginx's limit_conn). 0: no cap.
   */
  max_connections_per_client: int(null, 0),
  /**
   * V2 upload sessions one client address may have open (started, not yet finished or
   * cancelled, used within the last hour); POST beyond is 429 TOOMANYREQUESTS. A Docker
   * engine opens at most 5 at a time (max-concurrent-uploads); 1000 leaves room for a whole
   * build farm behind one NAT. 0: no cap. Counted per process.
   */
  max_upload_sessions_per_client: int(1000, 0),
  /** V2 manifest and blob DELETE (registry:2's storage.delete.enabled); off → 405 UNSUPPORTED */
  storage_delete_enabled: bool(true),
  /** V2 upload sessions older than this are purged (registry:2's uploadpurging age, 168 h) */
  upload_purge_age: seconds(7 * 24 * 3600),
  /** how often each process sweeps for them; 0 turns the sweep off (scripts/purge-uploads still works) */
  upload_purge_interval: seconds(24 * 3600),
  /**
   * Crash leftovers (temp files, S3 multipart uploads, Glance staging images) whose writer
   * cannot be seen (another host, S3, Glance) are reclaimed once untouched this long; those of
   * a dead process on this host at once. Swept at start and with every upload purge.
   */
  leftover_age: seconds(24 * 3600),
  /** show V1-pushed images to V2 clients and V2-pushed images to V1 clients (lib/services/bridge) */
  bridge: bool(true),
  /** the entry of a multi-platform V2 image that V1 clients see: os/architecture[/variant] */
  bridge_platform: strOr('linux/amd64').transform((v, ctx) => {
    const parts = v.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/.test(p))) {
      ctx.addIssue({ code: 'custom', message: `expected os/architecture[/variant], e.g. linux/amd64, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    const [os, architecture, variant] = parts as [string, string, string | undefined];
    return variant ? { os, architecture, variant } : { os, architecture };
  }),
  inherit_common: bool(true),
  /** Berth's own access control (lib/config/auth-schema.ts); absent: none */
  auth: authSchema,
  // Workers, recycling, the gunicorn-format access log (lib/config/process-settings.ts)
  ...processFields,
  /** the web page at /ui/ (lib/config/ui-schema.ts); `ui: false` turns it off */
  ui: uiSchema,
});

/**
 * Keys of other storage drivers the old registry knew (GCS, Swift, Elliptics, Azure, OSS,
 * Glance's OpenStack settings). They are accepted without an "unknown key" warning, so an old
 * file loads quietly; `storage:` naming one of those drivers is an error (see storage factory).
 */
export const LEGACY_DRIVER_KEYS = [
  'gs_access_key',
  'gs_secret_key',
  'gs_secure',
  'oauth2',
  'cloud_sdk_path',
  'swift_authurl',
  'swift_container',
  'swift_user',
  'swift_password',
  'swift_tenant_name',
  'swift_region_name',
  'swift_auth_version',
  'elliptics_nodes',
  'elliptics_wait_timeout',
  'elliptics_check_timeout',
  'elliptics_io_thread_num',
  'elliptics_net_thread_num',
  'elliptics_nonblocking_io_thread_num',
  'elliptics_groups',
  'elliptics_verbosity',
  'elliptics_logfile',
  'elliptics_addr_family',
  'elliptics_namespace',
  'azure_storage_account_name',
  'azure_storage_account_key',
  'azure_storage_container',
  'azure_use_https',
  'oss_host',
  'oss_bucket',
  'oss_accessid',
  'oss_accesskey',
];

export type FileConfig = z.output<typeof configSchema>;
