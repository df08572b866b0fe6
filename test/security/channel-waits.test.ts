import { describe, expect, it } from 'vitest';
import { QueueChannel } from '../../src/coord/queue-channel.js';

// A send or receive refused at once (an already-aborted signal, a bad
// timeoutMs) must leave the channel exactly as it was — in particular the
// senders and receivers already waiting, whose bookkeeping is keyed by their
// place in the queue.

function aborted(): AbortSignal {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
}

describe('queue channel: a refused wait does not disturb the waiters already queued', () => {
  it('a send with an aborted signal or a bad timeout on a full queue leaves the waiting sender its message', async () => {
    const q = new QueueChannel<string>('jobs', { capacity: 1 });
    await q.send('m0');
    const waiting = q.send('m1');
    await expect(q.send('m2', { signal: aborted() })).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    await expect(q.send('m3', { timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    expect(q.stats()).toMatchObject({ ready: 1, sendersWaiting: 1 });
    const first = await q.receive();
    q.ack(first!.id);
    await waiting;
    expect((await q.receive())?.message).toBe('m1');
    expect(q.stats()).toMatchObject({ ready: 0, sendersWaiting: 0, inFlight: 1 });
    q.close();
  });

  it('a receive with an aborted signal on an empty queue leaves the waiting receiver in place', async () => {
    const q = new QueueChannel<string>('jobs');
    const waiting = q.receive({ consumer: 'a' });
    await expect(q.receive({ consumer: 'b', signal: aborted() })).rejects.toMatchObject({ code: 'PLEX_ERR_ABORTED' });
    expect(q.stats()).toMatchObject({ receiversWaiting: 1 });
    await q.send('m');
    expect(await waiting).toMatchObject({ message: 'm', consumer: 'a' });
    expect(q.stats()).toMatchObject({ receiversWaiting: 0, inFlight: 1 });
    q.close();
  });
});
