/**
 * max_upload_sessions_per_client: how many V2 upload sessions one client address (an IPv6
 * address counting as its /64) may have open. A session counts from the POST that opened it
 * until its closing PUT, its DELETE, or an hour without any request on it (what a client
 * abandoned: Docker uses a session at once, chunk after chunk). A POST beyond the cap is
 * 429 TOOMANYREQUESTS with Retry-After; a monolithic upload or a mount opens no session and
 * is never refused.
 *
 * Counted by this process: a session finished through another worker process is noticed when
 * the cap is reached, by looking for the counted sessions in storage (those purged or
 * finished elsewhere are gone), at most every VERIFY_EVERY_MS per address.
 */

import { V2 } from '../errors/catalog.js';
import { RegistryError } from '../errors/registry-error.js';
import { addressKey } from '../names/client-address.js';

/** Seconds a refused client is asked to wait. */
export const SESSIONS_RETRY_AFTER = '30';
/** A session with no request for this long no longer counts. */
export const SESSION_IDLE_MS = 60 * 60_000;
const VERIFY_EVERY_MS = 10_000;
/** How often every address's sessions are looked over, so that addresses that never come back are forgotten. */
const SWEEP_EVERY_MS = 60_000;
const VERIFY_CONCURRENCY = 16;

interface Session {
  address: string;
  name: string;
  uuid: string;
  lastUsed: number;
  /** requests on it still running: an upload in progress never stops counting */
  active: number;
}

interface Client {
  sessions: Map<string, Session>;
  verified: number;
  verifying: Promise<void> | null;
}

export class UploadQuota {
  private readonly clients = new Map<string, Client>();
  private readonly byUuid = new Map<string, Session>();
  private swept = 0;

  constructor(
    private readonly max: number,
    /** whether the session still exists in storage */
    private readonly exists: (name: string, uuid: string) => Promise<boolean>,
    options: { refused?: () => void; idleMs?: number; now?: () => number } = {},
  ) {
    this.refused = options.refused ?? (() => {});
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.now = options.now ?? Date.now;
  }

  private readonly refused: () => void;
  private readonly idleMs: number;
  private readonly now: () => number;

  /** Sessions counted for `address` now. */
  open(address: string): number {
    const client = this.clients.get(addressKey(address));
    if (!client) return 0;
    this.expire(client);
    return client.sessions.size;
  }

  /** Before a POST opens a session: 429 when `address` is at the cap (after checking storage). */
  async admit(address: string): Promise<void> {
    if (this.max <= 0) return;
    const key = addressKey(address);
    const client = this.clients.get(key);
    if (!client) return;
    this.expire(client);
    if (client.sessions.size < this.max) return;
    if (this.now() - client.verified >= VERIFY_EVERY_MS) {
      client.verifying ??= this.verify(client).finally(() => {
        client.verified = this.now();
        client.verifying = null;
        if (client.sessions.size === 0) this.clients.delete(key);
      });
      await client.verifying;
    }
    if (client.sessions.size >= this.max) {
      this.refused();
      throw new RegistryError(V2.UPLOAD_SESSIONS_EXCEEDED, {
        args: [`${client.sessions.size} of ${this.max}`],
        detail: { open: client.sessions.size, max: this.max },
        headers: { 'Retry-After': SESSIONS_RETRY_AFTER },
      });
    }
  }

  /** A session was opened by `address`. */
  opened(address: string, name: string, uuid: string): void {
    if (this.max <= 0) return;
    this.sweep();
    const key = addressKey(address);
    let client = this.clients.get(key);
    if (!client) {
      client = { sessions: new Map(), verified: 0, verifying: null };
      this.clients.set(key, client);
    }
    const session: Session = { address: key, name, uuid, lastUsed: this.now(), active: 0 };
    client.sessions.set(uuid, session);
    this.byUuid.set(uuid, session);
  }

  /** A request on session `uuid` starts; call the result when it ends. */
  using(uuid: string): () => void {
    const session = this.byUuid.get(uuid);
    if (!session) return () => {};
    session.active++;
    session.lastUsed = this.now();
    return () => {
      session.active--;
      session.lastUsed = this.now();
    };
  }

  /** Session `uuid` ended (completed, cancelled, or unknown to storage). */
  closed(uuid: string): void {
    const session = this.byUuid.get(uuid);
    if (session) this.forget(session);
  }

  private forget(session: Session): void {
    this.byUuid.delete(session.uuid);
    const client = this.clients.get(session.address);
    client?.sessions.delete(session.uuid);
    if (client && client.sessions.size === 0 && !client.verifying) this.clients.delete(session.address);
  }

  private sweep(): void {
    if (this.now() - this.swept < SWEEP_EVERY_MS) return;
    this.swept = this.now();
    for (const client of this.clients.values()) this.expire(client);
  }

  private expire(client: Client): void {
    const oldest = this.now() - this.idleMs;
    for (const session of client.sessions.values()) {
      if (session.active === 0 && session.lastUsed <= oldest) this.forget(session);
    }
  }

  /** Drop the counted sessions storage no longer has (finished through another process, purged). */
  private async verify(client: Client): Promise<void> {
    const queue = [...client.sessions.values()];
    const worker = async () => {
      for (let session = queue.shift(); session; session = queue.shift()) {
        const still = await this.exists(session.name, session.uuid).catch(() => true);
        if (!still) this.forget(session);
      }
    };
    await Promise.all(Array.from({ length: VERIFY_CONCURRENCY }, worker));
  }
}
