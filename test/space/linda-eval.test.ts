import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { activeTupleFromJson, compute } from '../../src/space/linda-eval.js';

let node: PlexNode;
beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 2 });
  await node.runtime.deploy('acme:primes', (await buildActor(join(import.meta.dirname, '../fixtures/eval/primes.ts'))).component);
}, 120_000);
afterAll(async () => {
  await node?.stop();
});

const sieve = (limit: number) => Array.from({ length: limit - 1 }, (_, i) => i + 2).filter((n) => [...Array(n).keys()].slice(2).every((d) => n % d !== 0));

describe("Linda's eval", () => {
  it('a prime sieve by eval: every active tuple becomes an ordinary one, equal to direct computation', async () => {
    const space = node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'sieve' });
    await Promise.all(Array.from({ length: 99 }, (_, i) => node.eval(space, ['prime', i + 2, compute.task('primes', 'is-prime', { n: i + 2 })], { caller: 'acme/math/master' })));
    const primes = (await space.readAll(['prime', null, true])).map((t) => t[1]).sort((a, b) => (a as number) - (b as number));
    expect(primes).toEqual(sieve(100));
    expect(await space.count(['prime', null, null])).toBe(99);
  });

  it('nothing is visible before every computation finished; a failed one becomes an error value, or rejects and writes nothing', async () => {
    const space = node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'errors' });
    const pending = node.eval(space, ['pair', compute.task('primes', 'is-prime', { n: 7 }), compute.ask('nobody', 'ping')], { caller: 'acme/math/master' });
    expect(await space.tryRead(['pair', null, null])).toBeNull();
    const written = await pending;
    expect(written[1]).toBe(true);
    expect(written[2]).toEqual({ error: 'PLEX_ERR_ACTOR_NOT_FOUND', message: expect.stringContaining('acme/math/nobody') });
    // A handler's own {"error"} reply is a result like any other.
    expect((await node.eval(space, ['soft', compute.task('primes', 'fail')], { caller: 'acme/math/master' }))[1]).toEqual({ error: 'asked to fail' });
    await expect(node.eval(space, ['strict', compute.ask('nobody', 'ping')], { caller: 'acme/math/master', onError: 'reject' })).rejects.toMatchObject({ code: 'PLEX_ERR_EVAL_FAILED', field: 1 });
    expect(await space.tryRead(['strict', null])).toBeNull();
  });

  it('Mandelbrot rows by eval, one active tuple per row, equal to direct computation', async () => {
    await node.runtime.deploy('acme:mandelbrot', (await buildActor(join(import.meta.dirname, '../fixtures/eval/mandelbrot.ts'))).component);
    const space = node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'mandelbrot' });
    const [width, height, maxIter] = [48, 24, 200];
    await Promise.all(Array.from({ length: height }, (_, y) => node.eval(space, ['row', y, compute.task('mandelbrot', 'row', { y, width, height, maxIter })], { caller: 'acme/math/master' })));
    const rows = await space.takeAll(['row', null, null]);
    expect(rows).toHaveLength(height);
    // The same arithmetic in this process (IEEE doubles both sides: the counts must match exactly).
    const direct = (y: number) =>
      Array.from({ length: width }, (_, x) => {
        const [cr, ci] = [-2.0 + (3.0 * x) / (width - 1), -1.2 + (2.4 * y) / (height - 1)];
        let [zr, zi, n] = [0, 0, 0];
        while (n < maxIter && zr * zr + zi * zi <= 4) [zr, zi, n] = [zr * zr - zi * zi + cr, 2 * zr * zi + ci, n + 1];
        return n;
      });
    for (const row of rows) expect(row[2], `row ${row[1]}`).toEqual(direct(row[1] as number));
    expect(rows.some((row) => (row[2] as number[]).includes(maxIter))).toBe(true);
  }, 120_000);

  it('an actor evals from inside (eval-tuple): its chunks land in its own space, each number tested in parallel', async () => {
    const master = await buildActor(join(import.meta.dirname, '../fixtures/eval/master.ts'));
    expect(master.world).toBe('coordination-actor');
    await node.runtime.deploy('acme:master', master.component);
    const id = await node.actors.spawn('acme:master', { id: 'acme/math/master' });
    expect(JSON.parse(new TextDecoder().decode(await node.actors.ask(id, 'sieve', JSON.stringify({ limit: 60, chunk: 8 }), { timeoutMs: 30_000 })))).toEqual({ written: 8 });
    const chunks = await node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'default' }).takeAll(['chunk', null, ...Array(8).fill(null)]);
    const found = chunks.flatMap((t) => (t.slice(2) as boolean[]).map((prime, i) => (prime ? (t[1] as number) + i : 0))).filter((n) => n > 0 && n <= 60);
    expect(found.sort((a, b) => a - b)).toEqual(sieve(57));
    // The last chunk is shorter (58…60): a tuple of another arity, also there.
    expect(await node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'default' }).takeAll(['chunk', 58, null, null, null])).toEqual([['chunk', 58, false, true, false]]);
    const strict = JSON.parse(new TextDecoder().decode(await node.actors.ask(id, 'strict', '{}')));
    expect(strict.refused).toMatch(/PLEX_ERR_EVAL_FAILED/);
    expect(await node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'default' }).tryRead(['strict', null])).toBeNull();
  }, 120_000);

  it('bad input is refused before anything runs: unknown modules, another tenant, malformed JSON forms', async () => {
    const space = node.spaces.open({ tenant: 'acme', namespace: 'math', name: 'bad' });
    await expect(node.eval(space, ['x', compute.task('nope', 'is-prime')], { caller: 'acme/math/m' })).rejects.toMatchObject({ code: 'PLEX_ERR_MODULE_NOT_FOUND' });
    await expect(node.eval(space, ['x', compute.task('globex:primes', 'is-prime')], { caller: 'acme/math/m' })).rejects.toMatchObject({ code: 'PLEX_ERR_FORBIDDEN' });
    await expect(node.eval(space, [], {})).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_TUPLE' });
    expect(() => activeTupleFromJson(['x', { $eval: { module: 'primes' } }])).toThrow(/must be/);
    expect(() => activeTupleFromJson(['x', { $eval: { module: 'p', task: 't', extra: 1 } }])).toThrow(/unknown key/);
    expect(await space.count(['x', null])).toBe(0);
    // The JSON form runs the same computations.
    const written = await node.eval(space, activeTupleFromJson(['json', { $eval: { module: 'primes', task: 'is-prime', args: { n: 9 } } }]), { caller: 'acme/math/m' });
    expect(written).toEqual(['json', false]);
  });
});
