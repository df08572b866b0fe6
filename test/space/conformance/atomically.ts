import { afterEach, describe, expect, it } from 'vitest';
import type { SpaceTransaction } from '../../../src/space/transaction.js';
import { any, type Tuple } from '../../../src/tuple/types.js';
import type { SpaceHarness, SpaceUnderTest } from './harness.js';

/** A space that runs transactions. */
export interface TransactionalSpace extends SpaceUnderTest {
  readonly name: string;
  atomically<R>(fn: (tx: SpaceTransaction) => R): Promise<R>;
}

export interface TransactionHarness extends SpaceHarness {
  /**
   * A second handle on the same space, as another process would open it:
   * for Redis its own connection and wakeups; in-process there is only one
   * process, so the space itself. Closing it leaves the space open.
   */
  openPeer(space: TransactionalSpace): Promise<TransactionalSpace>;
}

/** `atomically` (docs/tuple-space.md, Transactions) against any space. */
export function atomicallyConformance(h: TransactionHarness): void {
  let space!: TransactionalSpace;
  const peers: TransactionalSpace[] = [];
  afterEach(async () => {
    for (const peer of peers.splice(0)) if (peer !== space) await peer.close();
    await space?.close();
  });
  const make = async () => (space = (await h.make()) as TransactionalSpace);
  const peerOf = async (s: TransactionalSpace) => {
    const peer = await h.openPeer(s);
    peers.push(peer);
    return peer;
  };

  describe('atomically', () => {
    it('moves a tuple from one template to another in one step', async () => {
      await make();
      await space.writeAll([['todo', 1, 'wash'], ['todo', 2, 'dry']]);
      const moved = await space.atomically((tx) => {
        const job = tx.tryTake(['todo', any, any])!;
        tx.write(['done', job[1], job[2]]);
        return job[1];
      });
      expect(moved).toBe(1);
      expect(await space.readAll([any, any, any])).toEqual([['todo', 2, 'dry'], ['done', 1, 'wash']]);
    });

    it('sees its own writes after the stored matches, and hides its takes from itself', async () => {
      await make();
      await space.write(['k', 1]);
      const seen = await space.atomically((tx) => {
        tx.write(['k', 2]);
        const all = tx.readAll(['k', any]);
        const counted = tx.count(['k', any]);
        const first = tx.tryTake(['k', any]);
        const next = tx.tryRead(['k', any]);
        const second = tx.tryTake(['k', any]);
        return { all, counted, first, next, second, none: tx.tryTake(['k', any]), left: tx.count(['k', any]) };
      });
      expect(seen).toEqual({ all: [['k', 1], ['k', 2]], counted: 2, first: ['k', 1], next: ['k', 2], second: ['k', 2], none: null, left: 0 });
      expect(await space.count(['k', any])).toBe(0);
    });

    it('takes many matches of one template in write order', async () => {
      await make();
      await space.writeAll(Array.from({ length: 10 }, (_, i) => ['item', i]));
      await space.write(['other', 0]);
      const taken = await space.atomically((tx) => {
        const out: Tuple[] = [];
        for (let t = tx.tryTake(['item', any]); t !== null; t = tx.tryTake(['item', any])) out.push(t);
        return { out, limited: tx.readAll([any, any], { limit: 5 }) };
      });
      expect(taken.out).toEqual(Array.from({ length: 10 }, (_, i) => ['item', i]));
      expect(taken.limited).toEqual([['other', 0]]);
      expect(await space.readAll([any, any])).toEqual([['other', 0]]);
    });

    it('a throw from the callback rejects with it and changes nothing', async () => {
      await make();
      await space.writeAll([['x', 1], ['x', 2]]);
      const failure = new Error('insufficient funds');
      await expect(
        space.atomically((tx) => {
          expect(tx.tryTake(['x', 1])).toEqual(['x', 1]);
          tx.write(['y']);
          expect(tx.count(['x', any])).toBe(1);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect(await space.readAll(['x', any])).toEqual([['x', 1], ['x', 2]]);
      expect(await space.count(['y'])).toBe(0);
    });

    it('refuses bad input inside the callback with the same typed errors, and applies none of it', async () => {
      await make();
      await space.write(['keep']);
      const inside = (bad: (tx: SpaceTransaction) => void) =>
        space.atomically((tx) => {
          tx.tryTake(['keep']);
          tx.write(['partial']);
          bad(tx);
        });
      await expect(inside((tx) => tx.write(['bad', () => 0] as never))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE', path: '[1]' });
      await expect(inside((tx) => tx.tryRead(['a', { $bogus: 1 }] as never))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TEMPLATE', path: '[1]' });
      await expect(inside((tx) => tx.write(['big', 'x'.repeat(2 * 1024 * 1024)]))).rejects.toMatchObject({ code: 'PLEX_ERR_TUPLE_TOO_LARGE' });
      await expect(inside((tx) => tx.write(['lease'], { ttlMs: -1 }))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(inside((tx) => tx.readAll(['keep'], { limit: -2 }))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(space.atomically(42 as never)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      expect(await space.readAll([any])).toEqual([['keep']]);
    });

    it('refuses a callback that returns a promise, and a tx used after its callback', async () => {
      await make();
      await space.write(['z']);
      await expect(space.atomically(async (tx) => tx.tryTake(['z']))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      await expect(space.atomically((tx) => ({ then: () => tx.tryTake(['z']) }))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
      expect(await space.count(['z'])).toBe(1);
      let leaked: SpaceTransaction | undefined;
      await space.atomically((tx) => {
        leaked = tx;
        return tx.count(['z']);
      });
      expect(() => leaked!.write(['late'])).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
      expect(() => leaked!.tryRead(['z'])).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
      expect(await space.readAll([any])).toEqual([['z']]);
    });

    it('a write inside a transaction wakes a take blocked through another handle', async () => {
      await make();
      const peer = await peerOf(space);
      await space.write(['job', 7]);
      const waiting = peer.take(['done', any], { timeoutMs: 30_000 });
      // Ordered after the take's registration on the peer's connection.
      await peer.count(['sync']);
      await space.atomically((tx) => {
        const job = tx.tryTake(['job', any])!;
        tx.write(['done', job[1]]);
      });
      expect(await waiting).toEqual(['done', 7]);
      // The blocked taker consumed the tuple: it was never stored.
      expect(await space.count([any, any])).toBe(0);
      expect(await h.stats(peer)).toMatchObject({ waiters: 0 });
    });

    it('concurrent transfers through two handles keep every balance exact (the bank test)', async () => {
      await make();
      const peer = await peerOf(space);
      const accounts = ['a', 'b', 'c'];
      await space.writeAll(accounts.map((name) => ['acct', name, 1000]));
      const plan = Array.from({ length: 40 }, (_, i) => ({ from: accounts[i % 3], to: accounts[(i * 7 + 1) % 3], amount: 1 + (i % 9) }));
      const expected = new Map(accounts.map((name) => [name, 1000]));
      for (const { from, to, amount } of plan) {
        expected.set(from, expected.get(from)! - amount);
        expected.set(to, expected.get(to)! + amount);
      }
      const transfer = (via: TransactionalSpace, { from, to, amount }: (typeof plan)[number]) =>
        via.atomically((tx) => {
          const a = tx.tryTake(['acct', from, any]);
          if (a === null) throw new Error(`account ${from} missing`);
          tx.write(['acct', from, (a[2] as number) - amount]);
          const b = tx.tryTake(['acct', to, any]);
          if (b === null) throw new Error(`account ${to} missing`);
          tx.write(['acct', to, (b[2] as number) + amount]);
        });
      // Read-only audits between the transfers: each one sees a single consistent state.
      const audit = (via: TransactionalSpace) => via.atomically((tx) => tx.readAll(['acct', any, any]).reduce((sum, t) => sum + (t[2] as number), 0));
      const work: Promise<unknown>[] = [];
      const audits: Promise<number>[] = [];
      plan.forEach((step, i) => {
        work.push(transfer(i % 2 === 0 ? space : peer, step));
        if (i % 8 === 0) audits.push(audit(i % 16 === 0 ? peer : space));
      });
      await Promise.all(work);
      expect(await Promise.all(audits)).toEqual(audits.map(() => 3000));
      const final = await peer.readAll(['acct', any, any]);
      expect(final).toHaveLength(3);
      expect(new Map(final.map((t) => [t[1] as string, t[2] as number]))).toEqual(expected);
    });
  });
}
