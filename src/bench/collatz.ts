/**
 * The tiny task of `bench shard`: the Collatz step count of a positive
 * integer (data-dependent, a few hundred operations at most). The same
 * function runs in src/wasm/actors/task-shard.ts, in the kv-shard example and
 * in the piscina baseline; this copy is also the correctness oracle.
 */
export function collatzSteps(start: number): number {
  let steps = 0;
  for (let n = start; n !== 1; n = n % 2 === 0 ? n / 2 : 3 * n + 1) steps++;
  return steps;
}

/** One start value, or a chunk of them (a typed array in, a typed array out). */
export default function collatz(input: number | Int32Array): number | Int32Array {
  return typeof input === 'number' ? collatzSteps(input) : input.map(collatzSteps);
}
