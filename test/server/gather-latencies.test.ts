import { describe, expect, it } from 'vitest';
import { GatherLatencies, RECENT_GATHERS } from '../../src/server/gather-latencies.js';
import type { ShardResult } from '../../src/shard/gather.js';

const result = (shard: number, latencyMs: number, status: ShardResult['status'] = 'ok'): ShardResult => ({ shard, actorId: `g/shard-${shard}`, status, latencyMs });

describe('GatherLatencies', () => {
  it('keeps each shard’s last, median and slowest answer over the recent gathers', () => {
    const latencies = new GatherLatencies();
    latencies.record('t', 'n', 'g', [result(0, 1), result(1, 10)]);
    latencies.record('t', 'n', 'g', [result(0, 3), result(1, 30, 'timeout')]);
    latencies.record('t', 'n', 'g', [result(0, 2)]);
    expect(latencies.of('t', 'n', 'g', 0)).toEqual({ gathers: 3, lastMs: 2, p50Ms: 2, maxMs: 3, lastStatus: 'ok' });
    expect(latencies.of('t', 'n', 'g', 1)).toEqual({ gathers: 2, lastMs: 30, p50Ms: 10, maxMs: 30, lastStatus: 'timeout' });
    expect(latencies.of('t', 'n', 'g', 2)).toBeUndefined();
    expect(latencies.of('t', 'other', 'g', 0)).toBeUndefined();
  });

  it('remembers at most RECENT_GATHERS per shard, and forgets a deleted group', () => {
    const latencies = new GatherLatencies();
    for (let i = 1; i <= RECENT_GATHERS + 5; i++) latencies.record('t', 'n', 'g', [result(0, i)]);
    expect(latencies.of('t', 'n', 'g', 0)).toMatchObject({ gathers: RECENT_GATHERS, maxMs: RECENT_GATHERS + 5, lastMs: RECENT_GATHERS + 5 });
    latencies.forget('t', 'n', 'g');
    expect(latencies.of('t', 'n', 'g', 0)).toBeUndefined();
  });
});
