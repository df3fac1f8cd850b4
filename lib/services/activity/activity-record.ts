/**
 * The small, persistent record of which clients used the registry, for the migration view:
 * which hosts still speak V1. Each worker process notes requests in memory and writes its own
 * file under `berth/activity/` every few seconds, merged with what it wrote before; a reader
 * merges every worker's file (client-activity.ts). Files never race: one writer each. The file
 * of a writer that stopped writing (a process gone, or idle for an hour) is absorbed into a
 * live writer's file and removed, so the number of files follows the live workers; an idle
 * writer that was absorbed simply writes its file again, and the merge makes that harmless.
 */
import type { Logger } from '../../logging/logger.js';
import { deleteIfExists, listOrEmpty, type StorageDriver } from '../../storage/driver.js';
import { isNotFound } from '../../storage/errors.js';
import { berth } from '../../storage/paths.js';
import { hostId } from '../../storage/writer-id.js';
import {
  type ActivityLimits,
  AGENT_MAX,
  type ClientAction,
  type ClientEntry,
  DEFAULT_LIMITS,
  mergeActivity,
  type Protocol,
  parseActivity,
} from './client-activity.js';

export interface ActivityOptions {
  recordAddresses: boolean;
  /** this writer's file name (default: host and pid) */
  writer?: string;
  limits?: ActivityLimits;
  /** a file untouched this long belongs to a writer that is gone (or idle): absorbed and removed */
  staleMs?: number;
  /** files read at most, on a read or an absorption */
  maxFiles?: number;
}

export interface SeenRequest {
  protocol: Protocol;
  agent: string;
  address: string;
  repository: string | null;
  action: ClientAction;
}

/** How often a writer looks for the files of writers that are gone. */
const SWEEP_MS = 60_000;

/** Notes held in memory before they are merged (bounds memory between two flushes). */
const PENDING_MAX = 256;

export class ActivityRecord {
  private pending: ClientEntry[] = [];
  private written: ClientEntry[] = [];
  private flushing: Promise<void> = Promise.resolve();
  /** when other writers' files were last looked at (not on every flush: a listing and a stat each) */
  private sweptAt = Number.NEGATIVE_INFINITY;
  private readonly writer: string;
  private readonly limits: ActivityLimits;
  private readonly staleMs: number;
  private readonly maxFiles: number;

  constructor(
    private readonly storage: StorageDriver,
    private readonly log: Logger,
    private readonly options: ActivityOptions,
  ) {
    this.writer = options.writer ?? `${hostId()}.${process.pid}`;
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.staleMs = options.staleMs ?? 3600_000;
    this.maxFiles = options.maxFiles ?? 256;
  }

  note(seen: SeenRequest, now = Date.now()): void {
    const entry: ClientEntry = {
      protocol: seen.protocol,
      agent: seen.agent.slice(0, AGENT_MAX),
      last: now,
      repositories: seen.repository ? [{ name: seen.repository, action: seen.action, last: now }] : [],
    };
    if (this.options.recordAddresses) entry.address = seen.address;
    this.pending.push(entry);
    if (this.pending.length >= PENDING_MAX) this.pending = mergeActivity([this.pending], now, this.limits);
  }

  /** Write what was noted since the last flush into this writer's file; absorb the files of writers that are gone. */
  flush(now = Date.now()): Promise<void> {
    const run = this.flushing.then(() => this.flushNow(now));
    this.flushing = run.catch((err) => this.log.warn({ err }, 'ui: could not write the client activity record'));
    return run;
  }

  private async flushNow(now: number): Promise<void> {
    const stale = await this.staleFiles(now);
    if (this.pending.length === 0 && stale.length === 0) return;
    const absorbed = await Promise.all(stale.map((path) => this.readFile(path)));
    const taken = this.pending;
    this.pending = [];
    this.written = mergeActivity([this.written, taken, ...absorbed], now, this.limits);
    try {
      await this.storage.putContent(berth.activityOf(this.writer), JSON.stringify({ writer: this.writer, clients: this.written }));
    } catch (err) {
      this.pending = mergeActivity([this.pending, taken], now, this.limits);
      throw err;
    }
    for (const path of stale) await deleteIfExists(this.storage, path);
  }

  /** Every worker's clients of the last 30 days (by default), most recent first. */
  async read(now = Date.now()): Promise<ClientEntry[]> {
    const files = (await listOrEmpty(this.storage, berth.activity)).slice(0, this.maxFiles);
    const lists = await Promise.all(files.map((path) => this.readFile(path)));
    return mergeActivity([...lists, this.written, this.pending], now, this.limits);
  }

  private async staleFiles(now: number): Promise<string[]> {
    if (now - this.sweptAt < Math.min(this.staleMs, SWEEP_MS)) return [];
    this.sweptAt = now;
    const own = berth.activityOf(this.writer);
    const others = (await listOrEmpty(this.storage, berth.activity)).filter((p) => p !== own && p.endsWith('.json')).slice(0, this.maxFiles);
    const stale: string[] = [];
    for (const path of others) {
      const info = await this.storage.stat(path).catch((err) => (isNotFound(err) ? null : Promise.reject(err)));
      if (info && now - info.modTime.getTime() >= this.staleMs) stale.push(path);
    }
    return stale;
  }

  private async readFile(path: string): Promise<ClientEntry[]> {
    try {
      return parseActivity((await this.storage.getContent(path)).toString('utf8'));
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
  }
}
