import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { redisAtomically } from '../../src/cluster/redis-space/redis-atomically.js';
import { RedisTupleSpace, RedisWakeups, spaceBaseKey } from '../../src/cluster/redis-space/index.js';
import { SpaceScripts } from '../../src/cluster/redis-space/space-script-runner.js';
import type { SpaceTransaction } from '../../src/space/transaction.js';
import type { WatchEvent } from '../../src/space/watch.js';
import { resolveTupleLimits } from '../../src/tuple/limits.js';
import { any } from '../../src/tuple/types.js';

// The optimistic transaction's own behaviour on a real redis-server (the shared contract is
// test/space/conformance/atomically.ts). A conflict is made deterministic by a callback that,
// as a test-only side effect, writes through the same connection: that write reaches Redis
// before the commit, which is sent only once the callback has returned.
let redis: RedisProcess;
let client: RedisClient;
let wakeups: RedisWakeups;
let made = 0;
const open = () => RedisTupleSpace.open({ name: `tx-${made++}`, redis: client, wakeups });

beforeAll(async () => {
  redis = await startRedisServer({ appendfsync: 'no' });
  client = await connectRedis([redis.url]);
  wakeups = await RedisWakeups.open(client);
});
afterAll(async () => {
  await wakeups?.close();
  client?.disconnect();
  await redis?.stop();
});

/** The transaction of `space` with its attempts bounded by `maxAttempts`. */
function atomicallyOn<R>(space: RedisTupleSpace, maxAttempts: number, fn: (tx: SpaceTransaction) => R): Promise<R> {
  const context = { name: space.name, base: spaceBaseKey(space.name), scripts: SpaceScripts.on(client), limits: resolveTupleLimits(undefined), isClosed: () => space.isClosed, maxAttempts };
  return redisAtomically(context, fn);
}

describe('atomically on Redis', () => {
  it('runs the callback again when another write changed what it read, and commits the last run', async () => {
    const space = await open();
    await space.write(['noise']);
    let runs = 0;
    const result = await space.atomically((tx) => {
      runs++;
      // Run 1 needs the count; run 2 sees 1 but its commit meets this second write; run 3 commits.
      if (runs === 2) void space.write(['noise']);
      const n = tx.count(['noise']);
      tx.write(['seen', n]);
      return n;
    });
    expect(result).toBe(2);
    expect(runs).toBe(3);
    expect(await space.readAll(['seen', any])).toEqual([['seen', 2]]);
    await space.close();
  });

  it('gives up after its attempts with PLEX_ERR_TRANSACTION_CONFLICT and applies nothing', async () => {
    const space = await open();
    await space.write(['stock', 5]);
    let runs = 0;
    const attempt = atomicallyOn(space, 3, (tx) => {
      runs++;
      void space.write(['noise']);
      const n = tx.count(['noise']);
      tx.tryTake(['stock', any]);
      tx.write(['seen', n]);
    });
    await expect(attempt).rejects.toMatchObject({ code: 'PLEX_ERR_TRANSACTION_CONFLICT', name: 'TransactionConflictError', attempts: 3 });
    // Two runs that stop for data (the count, then the stock), then three that each conflicted at commit.
    expect(runs).toBe(5);
    expect(await space.readAll([any, any])).toEqual([['stock', 5]]);
    expect(await space.count(['noise'])).toBe(5);
    await space.close();
  });

  it('a read-only transaction answers from one snapshot and sends no commit', async () => {
    const space = await open();
    await space.writeAll([['a', 1], ['b', 2]]);
    let runs = 0;
    const sum = await space.atomically((tx) => {
      runs++;
      return (tx.tryRead(['a', any])![1] as number) + (tx.tryRead(['b', any])![1] as number) + tx.count([any, any]);
    });
    // Each run stops at the first template it has not fetched: a, then b, then the count.
    expect(sum).toBe(5);
    expect(runs).toBe(4);
    await space.close();
  });

  it('its takes and writes are watch events, and its writes keep their lease', async () => {
    const space = await open();
    await space.write(['todo', 1]);
    const events = space.watch([any, any], { events: ['write', 'take'] });
    await space.syncWatchers();
    await space.atomically((tx) => {
      const job = tx.tryTake(['todo', any])!;
      tx.write(['done', job[1]], { ttlMs: 60_000 });
    });
    await space.syncWatchers();
    const seen: WatchEvent[] = [];
    for await (const event of events) {
      seen.push(event);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([
      { type: 'take', tuple: ['todo', 1] },
      { type: 'write', tuple: ['done', 1] },
    ]);
    expect(await space.stats()).toMatchObject({ tuples: 1, leased: 1 });
    await space.close();
  });

  it('fails fast with PLEX_ERR_BACKEND_UNAVAILABLE while Redis is down, and commits again once it is back', async () => {
    const own = await startRedisServer({ appendfsync: 'always' });
    const connection = await connectRedis([own.url]);
    const space = await RedisTupleSpace.open({ name: 'tx-down', redis: connection });
    await space.write(['n', 1]);
    await own.kill9();
    const bump = () =>
      space.atomically((tx) => {
        const n = tx.tryTake(['n', any])!;
        tx.write(['n', (n[1] as number) + 1]);
      });
    await expect(bump()).rejects.toMatchObject({ code: 'PLEX_ERR_BACKEND_UNAVAILABLE' });
    const back = await own.restart();
    await expect.poll(() => bump().then(() => 'ok', (e: { code?: string }) => e.code), { timeout: 10_000, interval: 100 }).toBe('ok');
    expect(await space.readAll(['n', any])).toEqual([['n', 2]]);
    await space.close();
    connection.disconnect();
    await back.stop();
  }, 30_000);

  it('a space closed while its transaction waits for data rejects with PLEX_ERR_SPACE_CLOSED', async () => {
    const space = await open();
    await space.write(['x']);
    const attempt = space.atomically((tx) => {
      if (!space.isClosed) void space.close();
      return tx.tryTake(['x']);
    });
    await expect(attempt).rejects.toMatchObject({ code: 'PLEX_ERR_SPACE_CLOSED' });
    const again = await RedisTupleSpace.open({ name: space.name, redis: client, wakeups });
    expect(await again.count(['x'])).toBe(1);
    await again.close();
  });
});
