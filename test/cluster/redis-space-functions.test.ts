import { afterEach, describe, expect, it } from 'vitest';
import { Command } from 'ioredis';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisCluster, startRedisServer, type RedisClusterProcess, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups } from '../../src/cluster/redis-space/index.js';
import { matchRecord } from '../../src/cluster/redis-space/match-record.js';
import { SPACE_LIBRARY_NAME, spaceEvalScript } from '../../src/cluster/redis-space/scripts/space-library.js';
import { SPACE_SCRIPTS, type SpaceScriptName } from '../../src/cluster/redis-space/scripts/space-scripts.js';
import { templateProgram } from '../../src/cluster/redis-space/template-program.js';
import { decodeTuple } from '../../src/tuple/codec.js';

// The space scripts are one Redis Functions library. A server holds it only
// once some node loaded it: these servers start without it, or lose it.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function libraries(connection: RedisClient): Promise<string[]> {
  const list = (await connection.call('FUNCTION', 'LIST')) as unknown[][];
  // Each entry is a flat [field, value, …] list; the name follows 'library_name'.
  return list.map((entry) => String(entry[entry.indexOf('library_name') + 1]));
}

async function openClient(urls: readonly string[]): Promise<{ client: RedisClient; wakeups: RedisWakeups }> {
  const client = await connectRedis(urls);
  const wakeups = await RedisWakeups.open(client);
  cleanups.push(() => client.disconnect());
  cleanups.push(() => wakeups.close());
  return { client, wakeups };
}

/** A write, a tryTake and a blocked take woken by a write: every hot script runs. */
async function exercise(space: RedisTupleSpace, tag: string): Promise<void> {
  await space.write(['job', tag]);
  expect(await space.tryTake(['job', tag])).toEqual(['job', tag]);
  const waiting = space.take(['woken', tag], { timeoutMs: 10_000 });
  await space.count(['sync']); // the take is filed in Redis
  await space.write(['woken', tag]);
  expect(await waiting).toEqual(['woken', tag]);
}

async function untilAnswers(client: RedisClient): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await client.ping();
      return;
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('the space library on a redis-server', () => {
  let redis: RedisProcess;

  it('a fresh server without the library works on first use, and then holds it', async () => {
    redis = await startRedisServer({ appendfsync: 'no' });
    cleanups.push(() => redis.stop());
    const { client, wakeups } = await openClient([redis.url]);
    expect(await libraries(client)).toEqual([]);
    const space = await RedisTupleSpace.open({ name: 'fresh', redis: client, wakeups });
    cleanups.push(() => space.close());
    await exercise(space, 'first');
    expect(await libraries(client)).toEqual([SPACE_LIBRARY_NAME]);
  });

  it('a server restarted without persistence (library and data gone) works on the next call', async () => {
    redis = await startRedisServer({ appendfsync: 'no' });
    const { client, wakeups } = await openClient([redis.url]);
    const space = await RedisTupleSpace.open({ name: 'restarted', redis: client, wakeups });
    await exercise(space, 'before');
    await redis.kill9();
    redis = await redis.restart();
    cleanups.push(() => redis.stop());
    cleanups.push(() => space.close());
    await untilAnswers(client);
    expect(await libraries(client)).toEqual([]);
    await exercise(space, 'after');
    expect(await libraries(client)).toEqual([SPACE_LIBRARY_NAME]);
  });

  it('a library deleted under a running node (FUNCTION FLUSH) is loaded again', async () => {
    redis = await startRedisServer({ appendfsync: 'no' });
    cleanups.push(() => redis.stop());
    const { client, wakeups } = await openClient([redis.url]);
    const space = await RedisTupleSpace.open({ name: 'flushed', redis: client, wakeups });
    cleanups.push(() => space.close());
    await space.write(['kept', 1]);
    await client.call('FUNCTION', 'FLUSH');
    // The data stayed: only the library went.
    expect(await space.tryTake(['kept', 1])).toEqual(['kept', 1]);
    await exercise(space, 'flushed');
  });
});

describe('the EVAL form, for servers before Redis 7', () => {
  it('every script compiles, and a write, a take and a lease purge run through it', async () => {
    const redis = await startRedisServer({ appendfsync: 'no' });
    cleanups.push(() => redis.stop());
    const client = await connectRedis([redis.url]);
    cleanups.push(() => client.disconnect());
    for (const name of Object.keys(SPACE_SCRIPTS) as SpaceScriptName[]) {
      expect(await client.call('SCRIPT', 'LOAD', spaceEvalScript(name))).toMatch(/^[0-9a-f]{40}$/);
    }
    // sendCommand, not callBuffer: ioredis 6 drops callBuffer's command name under auto-pipelining (redis-client.ts).
    const run = (name: SpaceScriptName, ...args: (string | Buffer)[]) => client.sendCommand(new Command('eval', [spaceEvalScript(name), '1', '{ts:eval}', ...args], { replyEncoding: null }));
    await run('plexSpaceConfigure', '5', '', '', '');
    expect(Number(await run('plexSpaceWrite', '2', matchRecord(['job', 1], false), '', matchRecord(['job', 2], true), '1'))).toBe(2);
    await new Promise((r) => setTimeout(r, 20));
    // ['job', 2] had a 1 ms lease: the purge drops it, so the take finds only ['job', 1].
    const taken = (await run('plexSpaceFind', templateProgram(['job', null]).bytes, 'take', '-1', '', '', '')) as Buffer[];
    expect(taken.map((bytes) => decodeTuple(bytes).tuple)).toEqual([['job', 1]]);
    expect(await client.exists('{ts:eval}:due')).toBe(0);
  });
});

describe('the space library on a three-master Redis Cluster', () => {
  let cluster: RedisClusterProcess;

  it('is loaded on every master, and again on masters that lost it', async () => {
    cluster = await startRedisCluster(3, { appendfsync: 'no' });
    cleanups.push(() => cluster.stop());
    const { client, wakeups } = await openClient(cluster.urls);
    const members = await Promise.all(cluster.members.map((m) => connectRedis([m.url])));
    cleanups.push(() => members.forEach((m) => m.disconnect()));
    for (const member of members) expect(await libraries(member)).toEqual([]);
    // Enough spaces that their slots fall on every master.
    const spaces = await Promise.all(Array.from({ length: 12 }, (_, i) => RedisTupleSpace.open({ name: `spread-${i}`, redis: client, wakeups })));
    cleanups.push(() => Promise.all(spaces.map((s) => s.close())).then(() => undefined));
    for (const [i, space] of spaces.entries()) await exercise(space, `one-${i}`);
    for (const member of members) expect(await libraries(member)).toEqual([SPACE_LIBRARY_NAME]);
    // As after a failover to a master that never had it.
    for (const member of members) await member.call('FUNCTION', 'FLUSH');
    for (const [i, space] of spaces.entries()) await exercise(space, `two-${i}`);
    for (const member of members) expect(await libraries(member)).toEqual([SPACE_LIBRARY_NAME]);
  });
});
