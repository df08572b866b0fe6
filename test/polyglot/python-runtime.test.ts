import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { buildPythonComponent } from '../support/python-components.js';

// What a CPython component (componentize-py, ~18 MB) meets in the runtime: the preview2 WASI it is
// given (no sockets, no file system), the memory cap and the watchdog. In process, on a real runtime.
const PROBE = join(import.meta.dirname, '../fixtures/python/probe_actor.py');
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
let runtime: ActorRuntime;

beforeAll(async () => {
  const component = await buildPythonComponent(PROBE);
  runtime = new ActorRuntime({ workers: 1, watchdogMs: 2000 });
  await runtime.deploy('probe', component);
}, 240_000);
afterAll(async () => {
  await runtime?.close();
});

describe('Python components in the runtime', () => {
  it('init gets the spawn config; state is the declared fields, saved and restored as JSON', async () => {
    const id = await runtime.spawn('probe', { config: JSON.stringify({ label: 'first' }) });
    expect(json(await runtime.ask(id, 'hit'))).toEqual({ hits: 1, label: 'first', self: id });
    expect(json(await runtime.getState(id))).toEqual({ hits: 1, label: 'first' });
  });

  it('sockets are refused: the handler sees an OSError, the actor lives on', async () => {
    const id = await runtime.spawn('probe');
    const reply = json(await runtime.ask(id, 'connect', JSON.stringify({ port: 9 })));
    expect(reply.error).toMatch(/^(PermissionError|OSError)/);
    expect(json(await runtime.ask(id, 'hit')).hits).toBe(1);
  });

  it("the environment is empty, not the node's (whose variables may hold secrets; this process has PATH at least)", async () => {
    expect(process.env.PATH).toBeDefined();
    const id = await runtime.spawn('probe');
    expect(json(await runtime.ask(id, 'environment'))).toEqual({ variables: [], cwd_known: false });
  });

  it('os._exit crashes only that actor (PLEX_ERR_ACTOR_EXITED); a neighbour on the same worker keeps answering', async () => {
    const leaver = await runtime.spawn('probe');
    const neighbour = await runtime.spawn('probe');
    await expect(runtime.ask(leaver, 'exit', JSON.stringify({ code: 3 }))).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_EXITED' });
    expect(json(await runtime.ask(neighbour, 'hit')).hits).toBe(1);
  });

  it('a module first imported inside a handler is not found: the component has no file system', async () => {
    const id = await runtime.spawn('probe');
    expect(json(await runtime.ask(id, 'lazy_import')).error).toBe("ModuleNotFoundError: No module named 'decimal' (a module first imported inside a handler is not in the component: import it at the top of the actor module)");
  });

  it('standard-library modules imported lazily by the standard library itself are in the snapshot (datetime.strptime)', async () => {
    const id = await runtime.spawn('probe');
    expect(json(await runtime.ask(id, 'parse_date', JSON.stringify({ text: '2026-12-01' })))).toEqual({ year: 2026 });
  });

  it('past the memory cap (64 MiB) an allocation is a MemoryError reply, not a crash', async () => {
    const id = await runtime.spawn('probe');
    expect(json(await runtime.ask(id, 'alloc', JSON.stringify({ mb: 32 })))).toEqual({ allocated_mb: 32 });
    expect(json(await runtime.ask(id, 'alloc', JSON.stringify({ mb: 80 })))).toEqual({ error: 'MemoryError' });
    expect(json(await runtime.ask(id, 'hit')).hits).toBe(1);
  });

  it('the watchdog stops a handler that never returns; a neighbour on the same worker keeps answering', async () => {
    const spinner = await runtime.spawn('probe');
    const neighbour = await runtime.spawn('probe');
    await expect(runtime.ask(spinner, 'spin', '{}', { timeoutMs: 30_000 })).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_TIMEOUT' });
    expect(json(await runtime.ask(neighbour, 'hit')).hits).toBe(1);
  }, 60_000);

  it('a host call the bare runtime cannot serve raises HostCallError, answered as the error', async () => {
    const id = await runtime.spawn('probe');
    expect(json(await runtime.ask(id, 'kv')).error).toMatch(/^ERROR PLEX_ERR_USAGE: .*needs the coordination layer/);
  });
});
