import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvStore } from '../../src/coord/kv-store.js';
import { LockManager } from '../../src/coord/lock-manager.js';
import { openNodeDatabase, type NodeDatabase } from '../../src/coord/node-database.js';

const acme = { tenant: 'acme', namespace: 'prod' };
const globex = { tenant: 'globex', namespace: 'prod' };
const opened: { close(): void }[] = [];
afterEach(() => {
  for (const c of opened.splice(0).reverse()) c.close();
});

function setup(path: string | null = null, clock?: () => number): { db: NodeDatabase; kv: KvStore; locks: LockManager } {
  const db = openNodeDatabase(path);
  const locks = new LockManager(db, clock);
  const kv = new KvStore(db, locks, { maxValueBytes: 1024 }, clock);
  opened.push(db, locks, kv);
  return { db, kv, locks };
}

describe('KvStore', () => {
  it('puts, gets, deletes and lists by prefix in key order, per tenant and namespace', () => {
    const { kv } = setup();
    for (const key of ['user:2', 'user:10', 'order:1', 'user:1', 'userx', 'ü:1', 'ü:2', 'üx']) kv.put(acme, key, `v-${key}`);
    kv.put(globex, 'user:1', 'theirs');
    expect(kv.get(acme, 'user:1')).toBe('v-user:1');
    expect(kv.get(globex, 'user:1')).toBe('theirs');
    expect(kv.get(acme, 'nope')).toBeUndefined();
    expect(kv.list(acme, 'user:').map((e) => e.key)).toEqual(['user:1', 'user:10', 'user:2']);
    expect(kv.list(acme, 'ü:').map((e) => e.key)).toEqual(['ü:1', 'ü:2']);
    expect(kv.list(globex).map((e) => e.key)).toEqual(['user:1']);
    expect(kv.delete(acme, 'user:1')).toBe(true);
    expect(kv.delete(acme, 'user:1')).toBe(false);
    expect(kv.get(acme, 'user:1')).toBeUndefined();
  });

  it('TTL entries vanish at their deadline, for reads, lists and the sweep', () => {
    let now = 1_000_000;
    const { kv } = setup(null, () => now);
    kv.put(acme, 'session', 'abc', { ttlMs: 500 });
    kv.put(acme, 'sticky', 'x');
    expect(kv.entry(acme, 'session')).toEqual({ key: 'session', value: 'abc', expiresAt: 1_000_500 });
    now += 499;
    expect(kv.get(acme, 'session')).toBe('abc');
    now += 1;
    expect(kv.get(acme, 'session')).toBeUndefined();
    expect(kv.list(acme).map((e) => e.key)).toEqual(['sticky']);
    expect(kv.sweep()).toBe(1);
    expect(kv.delete(acme, 'session')).toBe(false);
  });

  it('rejects bad keys, values and TTLs with typed errors and stores nothing', () => {
    const { kv } = setup();
    expect(() => kv.put(acme, '', 'v')).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(() => kv.put(acme, 'big', 'x'.repeat(1025))).toThrow(expect.objectContaining({ code: 'PLEX_ERR_PAYLOAD_TOO_LARGE' }));
    expect(() => kv.put(acme, 'k', 'v', { ttlMs: -1 })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(() => kv.put(acme, 'k', 42 as unknown as string)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    expect(kv.list(acme)).toEqual([]);
  });
});

describe('LockManager', () => {
  it('grants, makes the next holder wait in arrival order, and hands over on release with a higher version', async () => {
    const { locks } = setup();
    const first = await locks.acquire(acme, 'leader', 'a', { leaseMs: 10_000 });
    const order: string[] = [];
    const b = locks.acquire(acme, 'leader', 'b', { leaseMs: 10_000, timeoutMs: 5000 }).then((g) => (order.push('b'), g));
    const c = locks.acquire(acme, 'leader', 'c', { leaseMs: 10_000, timeoutMs: 5000 }).then((g) => (order.push('c'), g));
    await expect(locks.acquire(acme, 'leader', 'd', { leaseMs: 1000 })).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_TIMEOUT' });
    locks.release(acme, 'leader', 'a', first.version);
    const second = await b;
    expect(BigInt(second.version)).toBeGreaterThan(BigInt(first.version));
    locks.release(acme, 'leader', 'b', second.version);
    const third = await c;
    expect(order).toEqual(['b', 'c']);
    expect(BigInt(third.version)).toBeGreaterThan(BigInt(second.version));
    // Another tenant's lock of the same name is another lock.
    await expect(locks.acquire(globex, 'leader', 'z', { leaseMs: 1000 })).resolves.toMatchObject({ holder: 'z' });
  });

  it('times out a waiter and leaves the lock as it was', async () => {
    const { locks } = setup();
    const grant = await locks.acquire(acme, 'l', 'a', { leaseMs: 10_000 });
    await expect(locks.acquire(acme, 'l', 'b', { leaseMs: 1000, timeoutMs: 30 })).rejects.toMatchObject({ code: 'PLEX_ERR_LOCK_TIMEOUT' });
    expect(locks.holderOf(acme, 'l')).toMatchObject({ holder: 'a', version: grant.version });
  });

  it('an expired lease cannot release, renew or overwrite the newer holder’s fenced work', async () => {
    const { locks, kv } = setup();
    const old = await locks.acquire(acme, 'ledger', 'slow-worker', { leaseMs: 40 });
    kv.put(acme, 'ledger', 'written by slow-worker', { fence: { lock: 'ledger', version: old.version } });
    const newer = await locks.acquire(acme, 'ledger', 'fast-worker', { leaseMs: 10_000, timeoutMs: 2000 }); // granted when the lease runs out
    expect(BigInt(newer.version)).toBeGreaterThan(BigInt(old.version));
    kv.put(acme, 'ledger', 'written by fast-worker', { fence: { lock: 'ledger', version: newer.version } });
    expect(() => kv.put(acme, 'ledger', 'late write', { fence: { lock: 'ledger', version: old.version } })).toThrow(expect.objectContaining({ code: 'PLEX_ERR_LOCK_FENCED' }));
    expect(() => locks.release(acme, 'ledger', 'slow-worker', old.version)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_LOCK_FENCED' }));
    expect(() => locks.renew(acme, 'ledger', 'slow-worker', old.version, 1000)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_LOCK_FENCED' }));
    expect(kv.get(acme, 'ledger')).toBe('written by fast-worker');
    expect(locks.holderOf(acme, 'ledger')).toMatchObject({ holder: 'fast-worker', version: newer.version });
  });

  it('renewal keeps the version; a release with the wrong holder is refused', async () => {
    const { locks } = setup();
    const grant = await locks.acquire(acme, 'l', 'a', { leaseMs: 50 });
    const renewed = locks.renew(acme, 'l', 'a', grant.version, 10_000);
    expect(renewed.version).toBe(grant.version);
    await new Promise((r) => setTimeout(r, 80));
    expect(locks.holderOf(acme, 'l')?.holder).toBe('a');
    expect(() => locks.release(acme, 'l', 'b', grant.version)).toThrow(expect.objectContaining({ code: 'PLEX_ERR_LOCK_FENCED' }));
    locks.release(acme, 'l', 'a', grant.version);
    expect(locks.holderOf(acme, 'l')).toBeUndefined();
  });

  it('versions keep growing across a restart, and a lease granted before it is still held after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plex-locks-'));
    try {
      const path = join(dir, 'node.sqlite');
      const first = setup(path);
      const g1 = await first.locks.acquire(acme, 'l', 'a', { leaseMs: 60_000 });
      for (const c of opened.splice(0).reverse()) c.close();
      const second = setup(path);
      expect(second.locks.holderOf(acme, 'l')).toMatchObject({ holder: 'a', version: g1.version });
      second.locks.release(acme, 'l', 'a', g1.version);
      const g2 = await second.locks.acquire(acme, 'l', 'b', { leaseMs: 1000 });
      expect(BigInt(g2.version)).toBe(BigInt(g1.version) + 1n);
    } finally {
      for (const c of opened.splice(0).reverse()) c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad arguments', async () => {
    const { locks } = setup();
    await expect(locks.acquire(acme, '', 'a', { leaseMs: 10 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(locks.acquire(acme, 'l', 'a', { leaseMs: 0 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(locks.acquire(acme, 'l', '', { leaseMs: 10 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
  });
});
