import { describe, expect, it } from 'vitest';
import { LoadHistory } from '../../src/server/load-history.js';

// A fake clock: seconds close when the clock passes them, no timer involved.
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('LoadHistory', () => {
  it('closes each second with its operation count and p50 / p99 per surface', () => {
    const time = clock();
    const history = new LoadHistory({ now: time.now });
    for (let ms = 1; ms <= 100; ms++) history.record('http', ms);
    history.record('ws', 7);
    expect(history.samples()).toEqual([]); // the second is still open
    time.advance(1000);
    const [sample] = history.samples();
    expect(sample.at).toBe(1_000_000);
    expect(sample.surfaces.http).toEqual({ ops: 100, p50Ms: 50, p99Ms: 99 });
    expect(sample.surfaces.ws).toEqual({ ops: 1, p50Ms: 7, p99Ms: 7 });
    expect(sample.surfaces.grpc).toEqual({ ops: 0, p50Ms: null, p99Ms: null });
  });

  it('fills idle seconds with zeros and keeps only the last `seconds`', () => {
    const time = clock();
    const history = new LoadHistory({ now: time.now, seconds: 5 });
    history.record('grpc', 1);
    time.advance(3000);
    expect(history.samples().map((s) => s.surfaces.grpc.ops)).toEqual([1, 0, 0]);
    time.advance(60_000);
    const samples = history.samples();
    expect(samples).toHaveLength(5);
    expect(samples.every((s) => s.surfaces.grpc.ops === 0)).toBe(true);
    expect(samples.at(-1)!.at).toBe(1_000_000 + 62_000);
  });

  it('keeps a bounded sample of a busy second’s latencies, still counting every operation', () => {
    const time = clock();
    const history = new LoadHistory({ now: time.now, samplesPerSecond: 16 });
    for (let i = 0; i < 10_000; i++) history.record('http', 3);
    time.advance(1000);
    expect(history.latest()!.surfaces.http).toEqual({ ops: 10_000, p50Ms: 3, p99Ms: 3 });
  });

  it('refuses a bad option by name', () => {
    expect(() => new LoadHistory({ seconds: 0 })).toThrow(/seconds/);
    expect(() => new LoadHistory({ samplesPerSecond: 1.5 })).toThrow(/samplesPerSecond/);
  });
});
