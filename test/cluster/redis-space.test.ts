import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/cluster/redis-client.js';
import { startRedisServer, type RedisProcess } from '../../src/cluster/redis-process.js';
import { RedisTupleSpace, RedisWakeups, spaceBaseKey } from '../../src/cluster/redis-space/index.js';
import { ErrorCode } from '../../src/errors.js';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { INT64_MAX, INT64_MIN } from '../../src/tuple/field-kind.js';
import { any } from '../../src/tuple/types.js';
import { ReferenceSpace } from '../support/reference-space.js';

let redis: RedisProcess;
let client: RedisClient;
let wakeups: RedisWakeups;
let made = 0;
const open = (name = `space-${made++}`) => RedisTupleSpace.open({ name, redis: client, wakeups });

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

/** Every key of one space with its DUMP, for "nothing changed" checks (test-only: KEYS is fine on a test server). */
async function snapshot(space: RedisTupleSpace): Promise<Map<string, string | undefined>> {
  const keys = (await client.keys(`${spaceBaseKey(space.name).replace(/[{}]/g, '\\$&')}*`)).sort();
  const out = new Map<string, string | undefined>();
  for (const key of keys) out.set(key, (await client.dumpBuffer(key))?.toString('base64'));
  return out;
}

/**
 * Lone surrogates are matched exactly, but the tuple codec (msgpackr,
 * src/tuple/codec.ts) writes strings as UTF-8 and brings one back as U+FFFD:
 * compare returned tuples with that applied on both sides.
 */
function wellFormed(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (Array.isArray(value)) return value.map(wellFormed);
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wellFormed(v)]));
  return value;
}

/** Redis calls that scripts made, by command, since the last CONFIG RESETSTAT. */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) calls[match[1]] = Number(match[2]);
  return calls;
}

describe('matching agrees with the in-process contract on the fields Lua finds hard', () => {
  // Strings JavaScript orders by UTF-16 unit, not by code point (astral vs U+E000…), lone surrogates,
  // keys longer than the index-name limit, float64 and int64 extremes.
  const strings = ['', 'a', 'ab', 'é', '\ue000', '\uffff', '\ud83d\ude00', '\ud83d', '\ude00x', 'a'.repeat(150), 'a'.repeat(150) + 'b'];
  const numbers = [0, -0, 1, -1, 1.5, Infinity, -Infinity, NaN, 5e-324, -Number.MAX_VALUE];
  const ints = [INT64_MIN, INT64_MAX, -1n, 0n, 1n];
  const leaf = fc.oneof(fc.constantFrom(...strings), fc.constantFrom(...numbers), fc.constantFrom(...ints), fc.constantFrom(true, false, null));
  const field = fc.oneof(leaf, leaf, fc.array(leaf, { maxLength: 2 }), fc.dictionary(fc.constantFrom('k', '$'), leaf, { maxKeys: 1 }));
  const bound = fc.oneof(fc.constantFrom(...strings), fc.constantFrom(...numbers.filter((n) => !Number.isNaN(n))), fc.constantFrom(...ints));
  const range = fc.constantFrom('$gt', '$gte', '$lt', '$lte').chain((op) => bound.map((b) => ({ [op]: b })));
  const position = fc.oneof(
    fc.constant(null),
    leaf.filter((f) => f !== null),
    range,
    fc.tuple(bound, bound).filter(([a, b]) => typeof a === typeof b).map(([a, b]) => ({ $gt: a, $lte: b })),
    fc.constantFrom(...strings).map((p) => ({ $prefix: p })),
    fc.array(field, { minLength: 1, maxLength: 3 }).map((values) => ({ $in: values })),
    fc.constantFrom('string', 'number', 'int', 'bool', 'array', 'object', 'null').map((t) => ({ $type: t })),
    field.map((f) => ({ $eq: f })),
    fc.array(fc.oneof(fc.constant(null), leaf.filter((f) => f !== null), range), { minLength: 1, maxLength: 2 }),
  );

  it('readAll returns what the oracle returns, in write order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(field, { minLength: 1, maxLength: 2 }), { maxLength: 25 }), fc.array(fc.array(position, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 6 }), async (tuples, templates) => {
        const space = await open();
        const oracle = new ReferenceSpace();
        await space.writeAll(tuples as never);
        for (const t of tuples) oracle.write(t);
        for (const template of templates) {
          const expected = oracle.readAll(template);
          expect(await space.count(template as never)).toBe(expected.length);
          expect(wellFormed(await space.readAll(template as never))).toEqual(wellFormed(expected));
        }
        await space.close();
      }),
      { numRuns: 150 },
    );
  });
});

describe('the Redis tuple space', () => {
  it('rejects bad tuples, templates and options with the in-process errors and changes nothing in Redis', async () => {
    const space = await open();
    const local = new TupleSpace();
    await space.write(['a', 1]);
    await local.write(['a', 1]);
    const before = await snapshot(space);
    const bad: [string, (s: RedisTupleSpace | TupleSpace) => Promise<unknown>][] = [
      ['take with an unknown operator', (s) => s.take(['a', { $bogus: 1 }] as never)],
      ['read with a mixed range', (s) => s.read(['a', { $gt: 1, $lt: 'x' }] as never)],
      ['tryTake of a non-array', (s) => s.tryTake('a' as never)],
      ['count of an empty template', (s) => s.count([] as never)],
      ['a negative timeout', (s) => s.take(['a', any], { timeoutMs: -1 })],
      ['a function field', (s) => s.write(['a', () => 1] as never)],
      ['a batch with one bad tuple', (s) => s.writeAll([['ok'], ['bad', undefined]] as never)],
      ['a tuple over 1 MiB', (s) => s.write(['big', 'x'.repeat(2 * 1024 * 1024)])],
      ['a NaN lease', (s) => s.write(['x'], { ttlMs: Number.NaN })],
      ['a negative limit', (s) => s.readAll(['a', any], { limit: -2 })],
    ];
    for (const [what, call] of bad) {
      const [ours, theirs] = (await Promise.all([call(space).catch((e) => e), call(local).catch((e) => e)])) as Record<string, unknown>[];
      expect(theirs, what).toBeInstanceOf(Error);
      expect({ name: ours.name, code: ours.code, path: ours.path, message: ours.message }, what).toEqual({ name: theirs.name, code: theirs.code, path: theirs.path, message: theirs.message });
    }
    expect(await snapshot(space)).toEqual(before);
    expect(await space.readAll([any, any])).toEqual([['a', 1]]);
    await space.close();
    await local.close();
  });

  it('refuses bad options at open, naming them', async () => {
    for (const [options, named] of [
      [{ name: '', redis: client }, /name/],
      [{ name: 'x' }, /redis/],
      [{ name: 'x', redis: client, waiterLivenessMs: 5 }, /waiterLivenessMs/],
      [{ name: 'x', redis: client, maxDeliveries: 0 }, /maxDeliveries/],
      [{ name: 'x', redis: client, defaultLeaseMs: -1 }, /defaultLeaseMs/],
    ] as const) {
      await expect(RedisTupleSpace.open(options as never)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument, message: expect.stringMatching(named) });
    }
  });

  it('a selective template looks only at its candidates, however many other tuples the space holds', async () => {
    const space = await open();
    await space.writeAll(Array.from({ length: 2000 }, (_, i) => ['noise', `n${i}`]));
    await space.write(['target', 7]);
    await space.writeAll(Array.from({ length: 2000 }, (_, i) => ['target', -i - 1]));
    await client.config('RESETSTAT');
    expect(await space.tryTake(['target', 7])).toEqual(['target', 7]);
    expect(await space.tryRead(['noise', 'n1999'])).toEqual(['noise', 'n1999']);
    const calls = await commandCalls();
    // One record read per take (the only candidate), and no scan of the keyspace.
    expect(calls.hget).toBe(2);
    expect(calls.scan ?? 0).toBe(0);
    expect(calls.keys ?? 0).toBe(0);
    await space.close();
  });

  it('a write looks only at blocked operations that can match it', async () => {
    const space = await open();
    const takers = Array.from({ length: 200 }, (_, i) => space.take(['order', i]).catch((e: { code: string }) => e.code));
    await space.count(['sync']); // every block script has run
    await client.config('RESETSTAT');
    await space.write(['order', 150]);
    expect(await takers[150]).toEqual(['order', 150]);
    // The write read exactly one waiter record: the one filed under 150.
    expect((await commandCalls()).hget).toBe(1);
    await space.close();
    const rest = await Promise.all(takers.filter((_, i) => i !== 150));
    expect(rest.every((r) => r === ErrorCode.SpaceClosed)).toBe(true);
  });

  it('spaces with names that differ only by braces or escapes never share keys', async () => {
    expect(spaceBaseKey('a}:x')).toBe('{ts:a%7D:x}');
    expect(spaceBaseKey('a%7D:x')).toBe('{ts:a%257D:x}');
    const one = await open(`n-${made}`);
    const two = await open(`n-${made}}:x`);
    await one.write(['k']);
    expect(await two.count(['k'])).toBe(0);
    await Promise.all([one.close(), two.close()]);
  });

  it('a timed-out or aborted waiter leaves nothing in Redis', async () => {
    const space = await open();
    expect(await space.take(['never'], { timeoutMs: 5 })).toBeNull();
    const controller = new AbortController();
    const aborted = space.read(['never', any], { signal: controller.signal });
    await space.count(['sync']);
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: ErrorCode.Aborted });
    await space.count(['sync']);
    const base = spaceBaseKey(space.name);
    const all = await client.keys(`${base.replace(/[{}]/g, '\\$&')}*`);
    const keys = all.filter((k) => !k.endsWith(':seq') && !k.endsWith(':maxd') && !k.includes(':n:') && !k.includes(':wc:'));
    expect(keys).toEqual([]);
    // The waiter counters (readers, takers) are back at zero.
    for (const counter of all.filter((k) => k.includes(':wc:'))) expect(await client.get(counter)).toBe('0');
    expect(await space.stats()).toEqual({ tuples: 0, leased: 0, waiters: 0, watchers: 0, inflight: 0, timers: 0 });
    await space.close();
  });

  it('a tuple handed to a taker that aborts at the same moment goes back in its place', async () => {
    const space = await open();
    await space.write(['first']);
    const controller = new AbortController();
    const taker = space.take(['job'], { signal: controller.signal }).catch((e: { code: string }) => e.code);
    await space.count(['sync']);
    // The write hands ['job'] to the taker in Redis; the abort lands before its message does.
    const write = space.write(['job']);
    controller.abort();
    await write;
    expect(await taker).toBe(ErrorCode.Aborted);
    // Back by the time the abort is heard: a caller that aborts and then looks finds it.
    expect(await space.readAll([any])).toEqual([['first'], ['job']]);
    await space.close();
  });

  it('a handoff whose message was lost while the subscriber reconnected is still delivered', async () => {
    const own = await RedisWakeups.open(client);
    const space = await RedisTupleSpace.open({ name: `lost-${made++}`, redis: client, wakeups: own });
    const taker = space.take(['job', any]);
    await space.count(['sync']);
    // The subscriber reconnects after ≥ 50 ms (retryStrategy); the write runs within one round trip of
    // the kill, while it is cut off, so its PUBLISH reaches no one.
    await client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await space.write(['job', 1]);
    expect(await taker).toEqual(['job', 1]);
    expect(await client.hlen(`${spaceBaseKey(space.name)}:h`)).toBe(0);
    await space.close();
    await own.close();
  });

  it('leases: a tuple is never returned after its lease, and still serves a blocked taker at once', async () => {
    const space = await open();
    const taker = space.take(['job']);
    await space.write(['job'], { ttlMs: 1 });
    expect(await taker).toEqual(['job']);
    await space.write(['lease', 'short'], { ttlMs: 50 });
    await space.write(['lease', 'long'], { ttlMs: 3_600_000 });
    await space.write(['lease', 'forever']);
    await space.write(['lease', 'gone'], { ttlMs: 0 });
    expect(await space.count(['lease', any])).toBe(3);
    await expect.poll(() => space.readAll(['lease', any]), { timeout: 5_000, interval: 20 }).toEqual([['lease', 'long'], ['lease', 'forever']]);
    expect(await space.stats()).toMatchObject({ tuples: 2 });
    expect(await client.zcard(`${spaceBaseKey(space.name)}:e`)).toBe(1);
    await space.close();
  });

  it('leases end on time through the earliest-deadline key: after an earlier lease was taken, and for data older than the key', async () => {
    const space = await open();
    const due = `${spaceBaseKey(space.name)}:due`;
    // The key still names the taken tuple's deadline; the purge at that moment finds it gone and moves the key on.
    await space.write(['early'], { ttlMs: 100 });
    await space.write(['late'], { ttlMs: 300 });
    expect(await space.tryTake(['early'])).toEqual(['early']);
    expect(await space.count(['late'])).toBe(1);
    await expect.poll(() => space.count(['late']), { timeout: 5_000, interval: 20 }).toBe(0);
    expect(await client.exists(due)).toBe(0);
    // Written before the key existed: the next open of the space (its configure) finds the lease.
    await space.write(['old'], { ttlMs: 100 });
    await client.del(due);
    const again = await open(space.name);
    await expect.poll(() => again.count(['old']), { timeout: 5_000, interval: 20 }).toBe(0);
    await again.close();
    await space.close();
  });

  it('a watch sees the writes, takes and expiries of another process, in order, from its start on', async () => {
    const name = `watched-${made++}`;
    const otherClient = await connectRedis([redis.url]);
    const writer = await RedisTupleSpace.open({ name, redis: otherClient });
    const watcher = await RedisTupleSpace.open({ name, redis: client, wakeups });
    await writer.write(['before']);
    const events = watcher.watch([any], { includeExisting: true });
    await writer.write(['w']);
    await writer.take(['before']);
    await writer.write(['lease'], { ttlMs: 20 });
    await expect.poll(() => writer.count(['lease']), { timeout: 5_000, interval: 20 }).toBe(0);
    const seen: string[] = [];
    for await (const e of events) {
      seen.push(e.type === 'overflow' ? 'overflow' : `${e.type}:${String(e.tuple[0])}`);
      if (seen.length === 5) break;
    }
    expect(seen).toEqual(['write:before', 'write:w', 'take:before', 'write:lease', 'expire:lease']);
    expect(await watcher.stats()).toMatchObject({ watchers: 0 });
    await Promise.all([writer.close(), watcher.close()]);
    otherClient.disconnect();
  });

  it('fails fast with PLEX_ERR_BACKEND_UNAVAILABLE while Redis is down, and works again once it is back', async () => {
    const own = await startRedisServer({ appendfsync: 'always' });
    const c = await connectRedis([own.url]);
    const space = await RedisTupleSpace.open({ name: 'down', redis: c });
    await space.write(['kept']);
    await own.kill9();
    for (const call of [() => space.write(['x']), () => space.tryTake(['kept']), () => space.count([any]), () => space.take(['kept'], { timeoutMs: 1_000 }), () => space.readAll([any])]) {
      await expect(call()).rejects.toMatchObject({ code: ErrorCode.BackendUnavailable });
    }
    expect((await space.stats().catch((e) => e)).code).toBe(ErrorCode.BackendUnavailable);
    const back = await own.restart();
    await expect.poll(() => space.tryTake(['kept']).catch(() => 'down'), { timeout: 10_000, interval: 100 }).toEqual(['kept']);
    await space.close();
    c.disconnect();
    await back.stop();
  }, 30_000);
});

describe('the bytes counter of a bytesPerSpace quota', () => {
  it('is kept only under the quota, and counted afresh from the stored tuples when the quota is set', async () => {
    const name = `bytes-${made++}`;
    const counter = `${spaceBaseKey(name)}:bytes`;
    const plain = await open(name);
    await plain.writeAll([['blob', 1, 'x'.repeat(300)], ['blob', 2, 'x'.repeat(300)]]);
    expect(await client.exists(counter)).toBe(0);
    await plain.close();

    // Set on a space that already holds two tuples: they count at once.
    const quotaed = await RedisTupleSpace.open({ name, redis: client, wakeups, quota: { maxBytes: 700 } });
    await quotaed.count(['blob', any, any]);
    const held = Number(await client.get(counter));
    expect(held).toBeGreaterThan(600);
    const refusal = await quotaed.write(['blob', 3, 'x'.repeat(300)]).catch((error: unknown) => error);
    expect(refusal).toMatchObject({ code: ErrorCode.QuotaExceeded, quota: 'bytesPerSpace' });
    expect(String((refusal as Error).message)).toContain(`it holds ${held} bytes`);
    await quotaed.take(['blob', 1, any]);
    expect(Number(await client.get(counter))).toBeLessThan(held);
    await quotaed.write(['blob', 3, 'x'.repeat(300)]);
    expect(Number(await client.get(counter))).toBe(held);
    await quotaed.close();

    // Without the quota the counter goes, and writes no longer keep it.
    const again = await open(name);
    await again.write(['blob', 4, 'y']);
    expect(await client.exists(counter)).toBe(0);
    expect(await again.count(['blob', any, any])).toBe(3);
    await again.close();
  });
});
