import { performance } from 'node:perf_hooks';
import { InvalidArgumentError } from '../errors.js';
import { builtActorWasm } from '../runtime/built-actors.js';

/**
 * The Computer Language Benchmarks Game's published output of its n-body
 * program for 1000 steps: the energies before and after, 9 decimals.
 */
export const JOVIAN_PUBLISHED_1000 = { before: '-0.169075164', after: '-0.169087605' } as const;

export interface JovianResult {
  readonly steps: number;
  readonly before: string;
  readonly after: string;
  readonly seconds: number;
}

interface JovianExports {
  jovian_reset(): void;
  jovian_advance(steps: number, dt: number): void;
  jovian_energy(): number;
}

/** Runs src/wasm/actors/jovian.ts (float64, wasm) for `steps` steps of 0.01. */
export function runJovian(steps: number): JovianResult {
  if (!Number.isSafeInteger(steps) || steps < 0) throw new InvalidArgumentError(`steps must be a non-negative integer, got ${steps}`);
  const module = new WebAssembly.Module(builtActorWasm('jovian'));
  const abort = () => {
    throw new Error('jovian: abort');
  };
  const kernel = new WebAssembly.Instance(module, { env: { abort } }).exports as unknown as JovianExports;
  kernel.jovian_reset();
  const before = kernel.jovian_energy().toFixed(9);
  const t0 = performance.now();
  kernel.jovian_advance(steps, 0.01);
  const seconds = (performance.now() - t0) / 1000;
  return { steps, before, after: kernel.jovian_energy().toFixed(9), seconds };
}
