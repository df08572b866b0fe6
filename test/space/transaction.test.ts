import { describe, expect, it } from 'vitest';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { any } from '../../src/tuple/types.js';

describe('atomically', () => {
  it('commits every change when the callback returns', async () => {
    const space = new TupleSpace();
    await space.writeAll([['acct', 'a', 100], ['acct', 'b', 0]]);
    const moved = await space.atomically((tx) => {
      const a = tx.tryTake(['acct', 'a', any])!;
      const b = tx.tryTake(['acct', 'b', any])!;
      tx.write(['acct', 'a', (a[2] as number) - 30]);
      tx.write(['acct', 'b', (b[2] as number) + 30]);
      return 30;
    });
    expect(moved).toBe(30);
    expect(await space.readAll(['acct', any, any])).toEqual([['acct', 'a', 70], ['acct', 'b', 30]]);
    await space.close();
  });

  it('rolls everything back when the callback throws', async () => {
    const space = new TupleSpace();
    await space.writeAll([['x', 1], ['x', 2]]);
    await expect(
      space.atomically((tx) => {
        expect(tx.tryTake(['x', 1])).toEqual(['x', 1]);
        tx.write(['y']);
        expect(tx.count(['x', any])).toBe(1);
        throw new Error('insufficient funds');
      }),
    ).rejects.toThrow('insufficient funds');
    expect(await space.readAll(['x', any])).toEqual([['x', 1], ['x', 2]]);
    expect(await space.count(['y'])).toBe(0);
    await space.close();
  });

  it('sees its own writes, and hides its takes from itself', async () => {
    const space = new TupleSpace();
    await space.write(['k', 1]);
    await space.atomically((tx) => {
      tx.write(['k', 2]);
      expect(tx.readAll(['k', any])).toEqual([['k', 1], ['k', 2]]);
      expect(tx.tryTake(['k', any])).toEqual(['k', 1]);
      expect(tx.tryRead(['k', any])).toEqual(['k', 2]);
      expect(tx.tryTake(['k', any])).toEqual(['k', 2]);
      expect(tx.tryTake(['k', any])).toBeNull();
      expect(tx.count(['k', any])).toBe(0);
    });
    expect(await space.count(['k', any])).toBe(0);
    await space.close();
  });

  it('rejects an async callback and rolls it back', async () => {
    const space = new TupleSpace();
    await space.write(['z']);
    await expect(space.atomically(async (tx) => tx.tryTake(['z']))).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(await space.count(['z'])).toBe(1);
    await space.close();
  });

  it('a bad tuple inside the transaction aborts all of it', async () => {
    const space = new TupleSpace();
    await space.write(['keep']);
    await expect(
      space.atomically((tx) => {
        tx.tryTake(['keep']);
        tx.write(['bad', () => 0] as never);
      }),
    ).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE' });
    expect(await space.count(['keep'])).toBe(1);
    await space.close();
  });

  it('committed writes wake blocked takers; the tx handle is dead afterwards', async () => {
    const space = new TupleSpace();
    const taker = space.take(['done', any]);
    let leaked: { write(t: unknown[]): void } | undefined;
    await space.atomically((tx) => {
      tx.write(['done', 1]);
      leaked = tx as never;
    });
    expect(await taker).toEqual(['done', 1]);
    expect(() => leaked!.write(['late'])).toThrow(expect.objectContaining({ code: 'PLEX_ERR_INVALID_ARGUMENT' }));
    await space.close();
  });
});
