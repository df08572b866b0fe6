/**
 * The classic Linda bag of tasks: a master writes task tuples, workers take
 * them with crash-safe takes, write results, and the master collects them.
 *
 *   npx tsx examples/bag-of-tasks.ts [tasks] [workers]
 */
import { TupleSpace, any } from '../src/index.js';

const tasks = Number(process.argv[2] ?? 1000);
const workers = Number(process.argv[3] ?? 4);
const space = new TupleSpace();

async function worker(id: number): Promise<number> {
  let done = 0;
  for (;;) {
    const delivery = await space.take(['task', any], { ack: true, leaseMs: 5_000, holder: `worker-${id}` });
    if (delivery === null) return done;
    const n = delivery.tuple[1] as number;
    if (n < 0) {
      // Poison pill: stop.
      await delivery.ack();
      return done;
    }
    await space.write(['result', n, n * n]);
    await delivery.ack();
    done++;
  }
}

const started = performance.now();
const pool = Array.from({ length: workers }, (_, i) => worker(i));
await space.writeAll(Array.from({ length: tasks }, (_, n) => ['task', n]));
let sum = 0;
for (let i = 0; i < tasks; i++) {
  const result = (await space.take(['result', any, any]))!;
  sum += result[2] as number;
}
await space.writeAll(Array.from({ length: workers }, () => ['task', -1]));
const perWorker = await Promise.all(pool);
const expected = Array.from({ length: tasks }, (_, n) => n * n).reduce((a, b) => a + b, 0);
console.log(`${tasks} tasks over ${workers} workers (${perWorker.join(', ')}) in ${(performance.now() - started).toFixed(1)} ms`);
console.log(`sum of squares ${sum} (expected ${expected}): ${sum === expected ? 'ok' : 'WRONG'}`);
await space.close();
