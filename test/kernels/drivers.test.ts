import { describe, expect, it } from 'vitest';
import { runMatmul } from '../../src/kernels/matmul.js';
import { runNbody } from '../../src/kernels/nbody.js';

describe('parallel drivers', () => {
  it('matmul over a ShardGroup and over Linda tile tuples computes the same, correct product', async () => {
    for (const mode of ['shards', 'linda'] as const) {
      const progress: number[] = [];
      const result = await runMatmul({ n: 100, workers: 2, mode, tileRows: 12, onProgress: (done) => progress.push(done) });
      expect(result.tiles).toBe(9);
      expect(result.maxRelError).toBeLessThan(1e-5); // also: every entry was written (NaN-filled before)
      expect(progress.at(-1)).toBe(9);
    }
  });

  it('nbody gives the same energies on 1 and 2 workers, and conserves energy', async () => {
    const one = await runNbody({ bodies: 202, steps: 20, workers: 1, dt: 0.002 });
    const two = await runNbody({ bodies: 202, steps: 20, workers: 2, dt: 0.002 });
    expect(two.energyStart).toBe(one.energyStart);
    expect(two.energyEnd).toBeCloseTo(one.energyEnd, 12); // float64 sums of per-range parts
    expect(two.relativeEnergyDrift).toBeLessThan(1e-4);
  });

  it('rejects bad sizes and options with PLEX_ERR_INVALID_ARGUMENT before starting anything', async () => {
    await expect(runMatmul({ n: 2, workers: 1, mode: 'shards' })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(runMatmul({ n: 64, workers: 0, mode: 'shards' })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(runMatmul({ n: 64, workers: 1, mode: 'bogus' as never })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(runNbody({ bodies: 64, steps: 0, workers: 1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
    await expect(runNbody({ bodies: 64, steps: 1, workers: 1, dt: -1 })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_ARGUMENT' });
  });
});
