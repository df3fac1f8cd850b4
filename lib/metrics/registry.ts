/**
 * Prometheus metrics. One registry per app instance (no prom-client global), so two apps in
 * one test process do not collide.
 */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route'>;
  exceptionMails: Counter<'result'>;
  streamsAborted: Counter;
  authFailures: Counter<'reason'>;
  storageFallbacks: Counter<'op'>;
  storageOperations: Counter<'driver' | 'op' | 'result'>;
  storageBytes: Counter<'driver' | 'direction'>;
  lockTakeovers: Counter<'kind' | 'reason'>;
  limits: Counter<'limit'>;
}

/** What the storage wrapper (lib/storage/checked-driver.ts) records. */
export type StorageMetrics = Pick<Metrics, 'storageOperations' | 'storageBytes'>;

export function createMetrics(withProcessMetrics: boolean): Metrics {
  const registry = new Registry();
  if (withProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'berth_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'berth_http_requests_total',
      help: 'HTTP requests by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'berth_http_request_duration_seconds',
      help: 'HTTP request duration by method and route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers: [registry],
    }),
    exceptionMails: new Counter({
      name: 'berth_exception_mails_total',
      help: 'Exception mails by result: sent, failed, throttled (a repeat, counted in the digest), capped (over max_mails_per_hour), dropped (queue full)',
      labelNames: ['result'],
      registers: [registry],
    }),
    storageFallbacks: new Counter({
      name: 'berth_storage_fallback_total',
      help: 'Objects written to storage_alternate because Glance failed',
      labelNames: ['op'],
      registers: [registry],
    }),
    storageOperations: new Counter({
      name: 'berth_storage_operations_total',
      help: 'Storage driver calls by driver, operation and result: ok, or the error kind (not_found, invalid_path, driver_failure, no_space, unavailable, unsupported, aborted, other)',
      labelNames: ['driver', 'op', 'result'],
      registers: [registry],
    }),
    storageBytes: new Counter({
      name: 'berth_storage_bytes_total',
      help: 'Bytes read from and committed to storage, by driver and direction (read, written)',
      labelNames: ['driver', 'direction'],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'berth_auth_failures_total',
      help: "Requests refused by Berth's own auth, by reason: password, v1-token, bearer (bad credentials), denied (a known user without the right)",
      labelNames: ['reason'],
      registers: [registry],
    }),
    lockTakeovers: new Counter({
      name: 'berth_lock_takeovers_total',
      help: 'Locks in lock_dir taken over from a holder that left them, by kind (lock: a per-image or per-upload lock; push: a V1 push between its requests) and reason: holder-gone (its process ended, seen at once) or stale (not touched in time: a lock for 30 s, held by another host or recorded without a holder; a push for 20 s after its json, 5 s after its layer)',
      labelNames: ['kind', 'reason'],
      registers: [registry],
    }),
    limits: new Counter({
      name: 'berth_limits_total',
      help:
        'Requests and connections refused or cut by a limit (README "Limits"): connections (503, max_connections), ' +
        'connections_dropped (closed unanswered beyond it), client_connections (429), upload_sessions (429), ' +
        'body_rate, body_idle, body_deadline (408), descriptors (503, out of file descriptors), accept_errors',
      labelNames: ['limit'],
      registers: [registry],
    }),
    streamsAborted: new Counter({
      name: 'berth_stream_aborted_total',
      help: 'Responses cut off after their headers were sent',
      registers: [registry],
    }),
  };
}
