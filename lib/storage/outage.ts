/**
 * A backing store (S3, Glance) that cannot be reached is one event for the operator, not one
 * per request: the first failed call opens an outage and is logged as an error, later ones
 * are only counted, and the first call that gets an answer again closes it with one line
 * saying how long it lasted. Requests meanwhile answer 503 (lib/http/middleware/errors.ts) and
 * send no exception mail. Told by the drivers where they talk to the store, so a Glance
 * outage is not ended by a write that went to storage_alternate instead.
 */
import type { Logger } from '../logging/logger.js';

export const OUTAGE_STARTED = 'storage unreachable: answering 503 until it is back';
export const OUTAGE_ENDED = 'storage reachable again';

/** What a driver tells about the store behind it. */
export interface StoreHealth {
  /** A call to the store failed because it could not be reached. */
  unreachable(driver: string, err: Error): void;
  /** The store answered (a success, or an answer such as "no such key"). */
  answered(driver: string): void;
}

export class StorageOutages implements StoreHealth {
  private readonly open = new Map<string, { since: number; failedCalls: number }>();

  constructor(private readonly log: Logger) {}

  unreachable(driver: string, err: Error): void {
    const outage = this.open.get(driver);
    if (outage) {
      outage.failedCalls++;
      return;
    }
    this.open.set(driver, { since: Date.now(), failedCalls: 1 });
    this.log.error({ driver, err: err.message }, OUTAGE_STARTED);
  }

  answered(driver: string): void {
    const outage = this.open.get(driver);
    if (!outage) return;
    this.open.delete(driver);
    this.log.warn({ driver, seconds: Math.round((Date.now() - outage.since) / 100) / 10, failedCalls: outage.failedCalls }, OUTAGE_ENDED);
  }
}
