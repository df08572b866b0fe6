import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { sqlite } from '../../src/space/storage/sqlite-store.js';
import { TupleSpace } from '../../src/space/tuple-space.js';
import { any } from '../../src/tuple/types.js';
import { tuple as tupleArb } from '../support/arbitraries.js';

const dirs: string[] = [];
function tempFile(name = 'space.sqlite'): string {
  const dir = mkdtempSync(join(tmpdir(), 'plex-durable-'));
  dirs.push(dir);
  return join(dir, name);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('durable spaces on SQLite', () => {
  it('reopening the file restores exactly the live tuples, in order', async () => {
    const path = tempFile();
    let now = 1_000_000;
    const clock = () => now;
    const first = new TupleSpace({ storage: sqlite(path), clock, maxDeliveries: 2 });
    await first.writeAll([['a', 1], ['a', 2], ['a', 3], ['b', 'x']]);
    await first.write(['lease', 'gone'], { ttlMs: 10 });
    await first.write(['lease', 'kept'], { ttlMs: 1_000_000 });
    await first.take(['a', 2]);
    const held = (await first.take(['b', any], { ack: true, leaseMs: 60_000 }))!;
    expect(held.tuple).toEqual(['b', 'x']);
    await first.write(['poison']);
    await (await first.take(['poison'], { ack: true }))!.nack();
    await first.take(['poison'], { ack: true }); // second delivery, never acked
    await first.close();

    now += 100;
    const second = new TupleSpace({ storage: sqlite(path), clock, maxDeliveries: 2 });
    // ['b','x'] was out on a take whose holder is gone: it is back; the poison
    // tuple had its 2nd delivery unacked: it went to the dead-letter space.
    expect(await second.readAll([any, any])).toEqual([['a', 1], ['a', 3], ['b', 'x'], ['lease', 'kept']]);
    expect(await second.count(['poison'])).toBe(0);
    expect(await second.deadLetters.readAll(['poison'])).toEqual([['poison']]);
    const again = (await second.take(['b', any], { ack: true }))!;
    expect(again.deliveries).toBe(2);
    await again.ack();
    await second.close();

    const third = new TupleSpace({ storage: sqlite(path), clock });
    expect(await third.readAll([any, any])).toEqual([['a', 1], ['a', 3], ['lease', 'kept']]);
    await third.close();
  });

  it('round-trips every field type through the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tupleArb, { minLength: 1, maxLength: 20 }), async (tuples) => {
        const path = tempFile();
        const a = new TupleSpace({ storage: sqlite(path, { synchronous: 'normal' }) });
        await a.writeAll(tuples as never);
        const before = await a.readAll([any]).then(async (one) => [...one, ...(await a.readAll([any, any])), ...(await a.readAll([any, any, any]))]);
        await a.close();
        const b = new TupleSpace({ storage: sqlite(path) });
        const after = [...(await b.readAll([any])), ...(await b.readAll([any, any])), ...(await b.readAll([any, any, any]))];
        expect(after).toEqual(before);
        await b.close();
      }),
      { numRuns: 30 },
    );
  });

  it('after SIGKILL mid-load, every acknowledged write is there and no taken tuple comes back', async () => {
    const path = tempFile();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../fixtures/durable-writer.ts'), path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const written = new Set<number>();
    const taken = new Set<number>();
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('W ')) written.add(Number(line.slice(2)));
          else if (line.startsWith('T ')) taken.add(Number(line.slice(2)));
        }
        // Kill once the load is well under way, in the middle of a wave.
        if (written.size >= 3000 && child.exitCode === null && !child.killed) {
          child.kill('SIGKILL');
        }
      });
      child.on('exit', () => resolve());
    });
    expect(written.size).toBeGreaterThanOrEqual(3000);
    expect(taken.size).toBeGreaterThan(0);

    const reopened = new TupleSpace({ storage: sqlite(path) });
    const present = new Set((await reopened.readAll(['item', any])).map((t) => t[1] as number));
    const lost = [...written].filter((id) => !taken.has(id) && !present.has(id));
    const resurrected = [...taken].filter((id) => present.has(id));
    expect(lost).toEqual([]);
    expect(resurrected).toEqual([]);
    await reopened.close();
  });
});
