/**
 * Caps on the connections the server holds: all together (max_connections) and per client
 * address (max_connections_per_client, an IPv6 address counting as its /64).
 *
 * A connection accepted beyond a cap is not closed at once: it is marked, and its first
 * request is answered 503 (over max_connections) or 429 (over the client's share) with
 * Retry-After and `Connection: close`, in the envelope of its API (middleware/limits.ts), so a
 * client sees why and when to come back rather than a reset it would report as a network
 * error. Such a connection lives at most OVER_LIMIT_LIFETIME_MS. Only a bounded number of them
 * is answered (`overflow`, a tenth of the cap, at least 16): beyond that, the server's
 * `maxConnections` makes Node close new connections unanswered, so a flood cannot turn the
 * answering itself into the resource that runs out.
 *
 * Why a cap at all: every connection holds a file descriptor, and one that streams a layer or
 * an upload holds a second one (the file). When the process runs out, nothing works, blob
 * reads and new connections alike. The default cap is derived from the process's open-file
 * limit (Node raises the soft limit to the hard one at start) so that connections alone cannot
 * exhaust it.
 */
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { Socket } from 'node:net';
import { addressKey } from '../names/client-address.js';

export type OverLimit = 'server' | 'client';

export interface ConnectionCaps {
  /** connections served at once; 0: no cap */
  max: number;
  /** connections one address may hold; 0: no cap */
  perClient: number;
  /** connections beyond a cap that are still answered (503/429) rather than closed */
  overflow: number;
}

/** How long a connection accepted beyond a cap may stay for its one answer. */
export const OVER_LIMIT_LIFETIME_MS = 10_000;

/** Descriptors kept out of the automatic cap: stdio, the listener, logs, Redis, mail, SQLite, background jobs. */
const RESERVED_DESCRIPTORS = 100;
const AUTO_MAX = 10_000;

const marks = new WeakMap<Socket, OverLimit>();

/** Whether `socket` was accepted beyond a cap, and which. */
export function overLimit(socket: Socket): OverLimit | null {
  return marks.get(socket) ?? null;
}

/**
 * The caps from the config: `max_connections` absent → half of what the open-file limit leaves
 * after a reserve, at most 10000 (no cap when the limit cannot be read); absent
 * `max_connections_per_client` → half of the cap, or none behind a trusted proxy.
 */
export function connectionCaps(
  config: { max_connections: number | null; max_connections_per_client: number | null; trust_proxy: boolean },
  fileLimit: number | null = openFileLimit(),
): ConnectionCaps {
  const max = config.max_connections ?? (fileLimit === null ? 0 : Math.max(16, Math.min(AUTO_MAX, Math.floor((fileLimit - RESERVED_DESCRIPTORS) / 2))));
  const perClient = config.max_connections_per_client ?? (config.trust_proxy || max === 0 ? 0 : Math.max(1, Math.floor(max / 2)));
  const overflow = Math.max(16, Math.ceil(Math.max(max, perClient) / 10));
  return { max, perClient, overflow };
}

/** The soft RLIMIT_NOFILE of this process (Linux: /proc/self/limits); null where it cannot be read, or unlimited. */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line ? Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]) : Number.NaN;
    return Number.isSafeInteger(soft) && soft > 0 ? soft : null;
  } catch {
    return null;
  }
}

/**
 * Count `server`'s connections, mark those beyond a cap, and have Node close what comes beyond
 * the answered overflow. `refused` hears of each marked or closed connection.
 */
export function limitConnections(
  server: http.Server,
  caps: ConnectionCaps,
  refused: (limit: 'connections' | 'client_connections' | 'connections_dropped') => void,
): void {
  if (caps.max > 0) server.maxConnections = caps.max + caps.overflow;
  if (caps.max === 0 && caps.perClient === 0) return;
  let open = 0;
  const byClient = new Map<string, number>();
  server.on('drop', () => refused('connections_dropped'));
  server.on('connection', (socket: Socket) => {
    const key = addressKey(socket.remoteAddress ?? '');
    const mine = (byClient.get(key) ?? 0) + 1;
    open++;
    byClient.set(key, mine);
    socket.once('close', () => {
      open--;
      const left = (byClient.get(key) ?? 1) - 1;
      if (left > 0) byClient.set(key, left);
      else byClient.delete(key);
    });
    const over: OverLimit | null = caps.max > 0 && open > caps.max ? 'server' : caps.perClient > 0 && mine > caps.perClient ? 'client' : null;
    if (!over) return;
    if (over === 'client' && mine > caps.perClient + caps.overflow) {
      refused('connections_dropped');
      socket.destroy();
      return;
    }
    refused(over === 'server' ? 'connections' : 'client_connections');
    marks.set(socket, over);
    const timer = setTimeout(() => socket.destroy(), OVER_LIMIT_LIFETIME_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  });
}
