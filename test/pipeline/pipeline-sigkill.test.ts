import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sqlite } from '../../src/space/storage/sqlite-store.js';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { startWorkerProcess } from '../support/worker-process.js';

// Exactly once across process death: a pipeline on a SQLite space in a real node process, SIGKILLed at a
// random moment again and again, then restarted to drain. Every input comes out at the end exactly once,
// nothing is left between the stages — the ack of each take and the write of its output were one commit.
const WORKER = join(import.meta.dirname, '../fixtures/pipeline-worker.ts');
const dir = mkdtempSync(join(tmpdir(), 'plex-pipeline-kill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(path: string, mode: 'run' | 'drain') {
  return startWorkerProcess(WORKER, [path, mode]);
}

describe('a pipeline on SQLite, SIGKILLed mid-flight', () => {
  it('after random kills and a restart, every input arrives exactly once and nothing is stranded', async () => {
    const path = join(dir, 'pipeline.sqlite');
    const n = 3000;
    const seed = new TupleSpace({ storage: sqlite(path) });
    await seed.writeAll(Array.from({ length: n }, (_, i) => ['a', i]));
    await seed.close();
    for (let round = 0; round < 3; round++) {
      const worker = start(path, 'run');
      await worker.started;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
      worker.child.kill('SIGKILL');
      expect(await worker.exited).toBeNull();
    }
    // Killed while working: some tuples got through, some not yet.
    const between = new TupleSpace({ storage: sqlite(path) });
    const progress = await between.count(['d', null]);
    await between.close();
    expect(progress).toBeLessThan(n);
    expect(progress).toBeGreaterThan(0);
    const last = start(path, 'drain');
    await last.started;
    expect(await last.exited, last.stderr()).toBe(0);
    const space = new TupleSpace({ storage: sqlite(path) });
    const ids = (await space.readAll(['d', null])).map((t) => t[1] as number);
    expect(new Set(ids).size, 'no duplicates').toBe(ids.length);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const tag of ['a', 'b', 'c']) expect(await space.count([tag, null]), tag).toBe(0);
    await space.close();
  }, 120_000);
});
