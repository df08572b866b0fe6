import { describe, expect, it } from 'vitest';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { any } from '../../src/tuple/types.js';

describe('close', () => {
  it('rejects pending operations with SpaceClosedError and leaves no timers or waiters', async () => {
    const space = new TupleSpace();
    await space.write(['leased'], { ttlMs: 60_000 });
    await space.write(['held']);
    await space.take(['held'], { ack: true, leaseMs: 60_000 });
    const pending = [space.take(['never']), space.read(['never', any], { timeoutMs: 60_000 })];
    await space.close();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'PLEX_ERR_SPACE_CLOSED' });
    expect(space.stats()).toMatchObject({ waiters: 0, timers: 0, inflight: 0 });
    expect(space.isClosed).toBe(true);
  });

  it('refuses operations after close', async () => {
    const space = new TupleSpace();
    await space.close();
    await space.close();
    await expect(space.write(['x'])).rejects.toMatchObject({ code: 'PLEX_ERR_SPACE_CLOSED' });
    await expect(space.tryRead(['x'])).rejects.toMatchObject({ code: 'PLEX_ERR_SPACE_CLOSED' });
    expect(() => space.watch(['x'])).toThrow(expect.objectContaining({ code: 'PLEX_ERR_SPACE_CLOSED' }));
  });

  it('supports await using', async () => {
    let captured: TupleSpace;
    {
      await using space = new TupleSpace();
      captured = space;
      await space.write(['x']);
    }
    expect(captured.isClosed).toBe(true);
  });
});
