/**
 * The shared locks and leases of several instances (lib/services/redis-locks.ts,
 * redis-leases.ts) against a real redis-server, each "instance" with its own connection, as
 * the server makes it (RedisCache): mutual exclusion, expiry of a dead holder's lock, release
 * only by the holder, the re-check before commit, and Redis going away.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisCache } from '../../lib/cache/redis-cache.js';
import { RegistryError } from '../../lib/errors/registry-error.js';
import { Leases } from '../../lib/services/leases.js';
import { RedisLeaseRecords } from '../../lib/services/redis-leases.js';
import { LOCK_PREFIX, RedisLocks } from '../../lib/services/redis-locks.js';
import { silentLogger } from '../support/server.js';
import { type RedisService, startRedis } from '../support/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isError(message: RegExp, status = 503) {
  return (err: unknown) => err instanceof RegistryError && err.status === status && message.test(err.message);
}

/** `run` fails with the lock service's 503, and its work never starts. */
async function refused(locks: RedisLocks, key: string): Promise<void> {
  let ran = false;
  await assert.rejects(
    locks.run(key, async () => {
      ran = true;
    }),
    isError(/shared lock service \(Redis\) cannot be reached/),
  );
  assert.equal(ran, false, 'the work did not run');
}

describe('shared locks in Redis (several instances on one store)', function () {
  this.timeout(30_000);
  let redis: RedisService | null;
  let raw: Redis;
  const caches: RedisCache[] = [];

  /** A connection of its own, as one instance has. */
  async function instance(ttlMs: number, onLost?: (key: string) => void): Promise<RedisLocks> {
    const cache = new RedisCache({ host: '127.0.0.1', port: (redis as RedisService).port, db: 0, password: null }, silentLogger(), 'cache');
    caches.push(cache);
    await cache.ready;
    return new RedisLocks(cache.connection(), { ttlMs, ...(onLost ? { onLost } : {}) });
  }

  before(async function () {
    redis = await startRedis();
    if (!redis) return this.skip();
    raw = new Redis({ host: '127.0.0.1', port: redis.port });
    raw.on('error', () => {}); // while the test stops Redis
  });
  after(async () => {
    raw?.disconnect();
    await Promise.all(caches.map((c) => c.close()));
    await redis?.stop();
  });

  it('two instances never run the same key at once, and different keys do not wait for each other', async () => {
    const [a, b] = [await instance(2000), await instance(2000)];
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(10);
      inside--;
    };
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).run('image-x', work)));
    assert.equal(most, 1);
    assert.equal(await raw.exists(`${LOCK_PREFIX}image-x`), 0, 'released at the end');

    const order: string[] = [];
    await a.run('slow', async () => {
      await b.run('other', async () => void order.push('other inside slow'));
    });
    assert.deepEqual(order, ['other inside slow']);
  });

  it('a holder renews its lock: work longer than the lifetime keeps it', async () => {
    const [a, b] = [await instance(1000), await instance(1000)];
    let aOut = 0;
    let bIn = 0;
    const holding = a.run('long', async (held) => {
      await sleep(2500); // two and a half lifetimes
      await held.check();
      aOut = Date.now();
    });
    await sleep(50);
    await b.run('long', async () => {
      bIn = Date.now();
    });
    await holding;
    assert.ok(bIn >= aOut, 'the second waited for the first to finish');
  });

  it('a lock its instance left (died, never released) is taken over once its lifetime ran out, not before', async () => {
    const b = await instance(1500);
    // What a SIGKILLed instance leaves: its token, with the lifetime of its last renewal.
    await raw.set(`${LOCK_PREFIX}dead`, 'token-of-a-dead-instance', 'PX', 1200);
    const started = Date.now();
    await b.run('dead', async (held) => held.check());
    const waited = Date.now() - started;
    assert.ok(waited >= 1000, `waited ${waited} ms for the dead holder's lock to expire`);
    assert.ok(waited < 5000, `waited ${waited} ms`);
  });

  it('a holder that stalled past the lifetime fails its check, and its release leaves the new holder’s lock alone', async () => {
    const lost: string[] = [];
    const [a, b] = [await instance(300, (k) => lost.push(k)), await instance(300)];
    let aStalled!: () => void;
    const stalled = new Promise<void>((r) => (aStalled = r));
    let bHolds!: () => void;
    const bHolding = new Promise<void>((r) => (bHolds = r));
    let aCheck: unknown = null;
    const aRun = a.run('stall', async (held) => {
      const until = Date.now() + 700; // the event loop blocked: no renewal reaches Redis
      while (Date.now() < until) {
        /* stalled */
      }
      aStalled();
      await bHolding;
      aCheck = await held.check().then(
        () => 'passed',
        (err: unknown) => err,
      );
    });
    await stalled;
    await b.run('stall', async (held) => {
      bHolds();
      await aRun; // A ends and releases (it thinks) while B holds the lock
      await held.check(); // B's lock is still B's
      assert.ok((await raw.pttl(`${LOCK_PREFIX}stall`)) > 0);
    });
    assert.ok(isError(/lock on stall expired while it was held/)(aCheck), `A's check: ${String(aCheck)}`);
    assert.deepEqual(lost, ['stall']);
  });

  it('a SET that times out but that Redis applies later leaves no lock behind: a 503, then the key is freed at once, not after its lifetime', async () => {
    const a = await instance(30_000);
    const b = await instance(30_000);
    // Redis stalls longer than the connection's commandTimeout (1 s): the SET NX is answered
    // only after the client gave up on it, and then applied.
    await raw.call('CLIENT', 'PAUSE', '1600', 'WRITE');
    await refused(a, 'slow-set');
    await sleep(1000); // the pause is over: the SET, then what follows it, have run
    assert.equal(await raw.exists(`${LOCK_PREFIX}slow-set`), 0, 'no lock left that nobody holds');
    const started = Date.now();
    await b.run('slow-set', async () => {});
    assert.ok(Date.now() - started < 1000, `another instance took it in ${Date.now() - started} ms`);
  });

  it('Redis away: taking a lock is a 503, and the work does not run', async () => {
    const a = await instance(1000);
    await (redis as RedisService).stop();
    await refused(a, 'any');
    await (redis as RedisService).restart();
  });

  it('V1 push leases in Redis: claimed once, live across instances, ended by release or by their lifetime', async () => {
    const cacheA = caches[0] as RedisCache;
    for (let i = 0; i < 100 && !(await cacheA.ping()); i++) await sleep(100); // reconnected after the restart
    await raw.ping(); // this one queues until it has reconnected too
    const [a, b] = [new Leases(new RedisLeaseRecords(cacheA.connection()), { idleMs: 1500 }), new Leases(new RedisLeaseRecords(raw), { idleMs: 1500 })];
    assert.equal(await a.claim('img'), true);
    assert.equal(await b.live('img'), true, 'the other instance sees it');
    assert.equal(await b.claim('img'), false);
    await b.release('img'); // the checksum PUT may land on the other instance
    assert.equal(await a.live('img'), false);
    assert.equal(await a.claim('img'), true);
    await sleep(1800);
    assert.equal(await b.live('img'), false, 'not renewed: over after its idle time');
    await a.during('img', () => sleep(200), 5000);
    assert.equal(await b.live('img'), true, 'renewed for the pause after the work');
  });
});
