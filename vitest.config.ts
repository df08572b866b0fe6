import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Vitest's default on a 2-core machine is one worker, which ran the suite's 134 files one after
// another (≈31 min on CI). Most of the slow files wait on child processes — nodes, redis-server,
// componentize-py, a Jupyter kernel — rather than on their own CPU, so two workers at least.
const workers = Math.max(2, availableParallelism());

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: with two files at once on two cores, a test that builds actors or runs workloads through
    // the CLI takes a minute and more; a timeout here catches hangs, it is not a speed check.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: workers,
  },
});
