/**
 * The search index is an SQLite file on each host. With several instances on one store (README
 * "Several instances on one store") each instance's repository changes reach the other
 * instances' indexes through pub/sub on the `cache` Redis: an instance applies a change to its
 * own index, then publishes it; every other instance applies what it hears. A change published
 * while an instance does not listen (it is restarting, or Redis is away) is not replayed to it;
 * an index rebuilt from the store (an empty one is, at start) has everything.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisCache } from '../../cache/redis-cache.js';
import type { Logger } from '../../logging/logger.js';
import type { RepositoryEvent, RepositoryListener } from './search.js';

export const SEARCH_CHANNEL = 'berth:search:repositories';

interface Message {
  from: string;
  event: RepositoryEvent;
  namespace: string;
  repository: string;
}

export class SharedSearchEvents {
  /** this process, so that it skips its own messages */
  private readonly id = randomUUID();
  private subscriber: Redis | null = null;

  constructor(
    private readonly cache: RedisCache,
    private readonly apply: RepositoryListener,
    private readonly log: Logger,
  ) {}

  /** What the V1 services tell of a repository change: applied here, and published to the others. */
  readonly onRepository: RepositoryListener = (event, name) => {
    this.applyHere(event, name);
    const message: Message = { from: this.id, event, namespace: name.namespace, repository: name.repository };
    this.cache
      .connection()
      .publish(SEARCH_CHANNEL, JSON.stringify(message))
      .catch((err) =>
        this.log.warn({ err, event, repository: `${name.namespace}/${name.repository}` }, 'could not tell the other instances of a repository change (search)'),
      );
  };

  /** Listen to the other instances (ioredis subscribes again after a reconnection by itself). */
  start(): void {
    if (this.subscriber) return;
    // Its own connection (a subscribed one takes no other command), with commands queued until connected.
    const subscriber = this.cache.connection().duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
    this.subscriber = subscriber;
    subscriber.on('error', () => {}); // the cache's own connection logs Redis being away
    subscriber.on('message', (_channel: string, text: string) => this.heard(text));
    subscriber.subscribe(SEARCH_CHANNEL).catch((err) => this.log.warn({ err }, 'could not listen to the other instances’ repository changes (search)'));
  }

  async stop(): Promise<void> {
    this.subscriber?.disconnect();
    this.subscriber = null;
  }

  private heard(text: string): void {
    let message: Partial<Message>;
    try {
      message = JSON.parse(text) as Partial<Message>;
    } catch {
      return;
    }
    const { from, event, namespace, repository } = message;
    if (from === this.id || (event !== 'changed' && event !== 'deleted') || typeof namespace !== 'string' || typeof repository !== 'string') return;
    this.applyHere(event, { namespace, repository });
  }

  /**
   * The index is a synchronous SQLite write, which can throw (SQLITE_BUSY, a read-only file):
   * in ioredis's message handler that would be an uncaught exception, and the index is only a
   * search aid, so a failure is logged (a rebuild from the store puts it right).
   */
  private applyHere(event: RepositoryEvent, name: { namespace: string; repository: string }): void {
    try {
      this.apply(event, name);
    } catch (err) {
      this.log.warn({ err, event, repository: `${name.namespace}/${name.repository}` }, 'could not apply a repository change to the search index');
    }
  }
}
