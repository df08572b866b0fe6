import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.js';
import { HostOp } from '../../src/runtime/core-abi.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';

const fixtures = join(import.meta.dirname, '../fixtures/worlds');
const text = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
const built: Record<string, Awaited<ReturnType<typeof buildActor>>> = {};
let system: ActorSystem;

beforeAll(async () => {
  for (const name of ['echo', 'tuples', 'events', 'journal', 'services']) built[name] = await buildActor(join(fixtures, `${name}.ts`));
  built.everything = await buildActor(join(fixtures, 'echo.ts'), { world: 'plexspaces-actor' });
  built.printed = await buildActor(join(fixtures, 'echo.ts'), { world: 'actor-world' });
  system = new ActorSystem({ workers: 2 });
}, 180_000);
afterAll(async () => {
  await system?.close();
});

async function wat(source: string): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat('test.wat', source);
  return module.toBinary({}).buffer;
}

describe('worlds by capability', () => {
  it('plexspaces build picks the narrowest of the five worlds that covers what the actor uses', () => {
    expect(built.echo.world).toBe('simple-actor');
    expect(built.tuples.world).toBe('coordination-actor');
    expect(built.events.world).toBe('event-actor');
    expect(built.journal.world).toBe('durable-actor');
    // Registry, HTTP and cron are in no narrow world.
    expect(built.services.world).toBe('plexspaces-actor');
    expect(built.services.uses).toEqual(expect.arrayContaining(['registry', 'http-client', 'cron']));
  });

  it('refuses at build a world that does not cover the actor, naming what is missing', async () => {
    await expect(buildActor(join(fixtures, 'tuples.ts'), { world: 'event-actor' })).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MODULE', message: expect.stringMatching(/uses tuple-space, which world event-actor does not import.*coordination-actor/) });
    await expect(buildActor(join(fixtures, 'services.ts'), { world: 'actor-world' })).rejects.toMatchObject({ message: expect.stringContaining('sdk/platform') });
    await expect(buildActor(join(fixtures, 'echo.ts'), { world: 'no-such-world' })).rejects.toMatchObject({ message: expect.stringContaining('unknown world') });
  });

  it('deploys each component for the world it imports and runs it', async () => {
    const { runtime } = system;
    await runtime.deploy('echo', built.echo.component);
    expect(runtime.moduleGrants('echo')?.world).toBe('simple-actor');
    expect([...runtime.moduleGrants('echo')!.capabilities]).toEqual(['messaging', 'logging']);
    const echo = await system.spawn('echo', { id: 'echo-1' });
    expect(text(await system.ask(echo, 'echo', '{"hi":1}'))).toEqual({ echo: { hi: 1 }, me: 'echo-1', seen: 1 });
    await runtime.deploy('tuples', built.tuples.component);
    expect(runtime.moduleGrants('tuples')?.world).toBe('coordination-actor');
    const tuples = await system.spawn('tuples');
    await system.ask(tuples, 'put', '{"n":7}');
    expect(text(await system.ask(tuples, 'get'))).toEqual({ job: ['job', 7] });
    // The printed world still deploys as it always did.
    await runtime.deploy('printed', built.printed.component);
    expect(runtime.moduleGrants('printed')?.world).toBe('actor-world');
    expect(text(await system.ask(await system.spawn('printed'), 'echo', '{}'))).toMatchObject({ seen: 1 });
  });

  it('refuses at deploy a component that imports outside its declared world, naming the interface, and deploys nothing', async () => {
    const { runtime } = system;
    await expect(runtime.deploy('wide', built.everything.component, { world: 'simple-actor' })).rejects.toMatchObject({
      code: 'PLEX_ERR_INVALID_MODULE',
      message: expect.stringMatching(/imports .*plexspaces:platform\/key-value.*which world simple-actor does not include/),
    });
    expect(runtime.hasModule('wide')).toBe(false);
    await expect(runtime.deploy('wide', built.tuples.component, { world: 'event-actor' })).rejects.toMatchObject({ message: expect.stringContaining('plexspaces:platform/tuple-space') });
    // The printed host interface carries everything: no narrow world takes it.
    await expect(runtime.deploy('wide', built.printed.component, { world: 'coordination-actor' })).rejects.toMatchObject({ message: expect.stringContaining('plexspaces:simple-actor/host') });
    await expect(runtime.deploy('wide', built.echo.component, { world: 'plexspaces:core@0.1.0' })).rejects.toMatchObject({ message: expect.stringContaining('it is a component') });
    expect(runtime.hasModule('wide')).toBe(false);
    // A narrow component may be declared for a wider world.
    await runtime.deploy('narrow-in-wide', built.echo.component, { world: 'plexspaces-actor' });
    expect(runtime.moduleGrants('narrow-in-wide')?.world).toBe('plexspaces-actor');
  });

  it('at run time an actor reaches nothing outside its world: a computed call is refused and writes nothing', async () => {
    const echo = await system.spawn('echo', { id: 'sneaky' });
    const reply = text(await system.ask(echo, 'sneak', '{"key":"loot"}'));
    expect(reply.error).toMatch(/PLEX_ERR_FORBIDDEN.*world simple-actor.*does not import key-value/);
    expect(await system.coordination.kv.get({ tenant: 'default', namespace: 'default' }, 'loot')).toBeUndefined();
  });

  it('holds a core module to its declared world on every plex.call, and to its imports at deploy', async () => {
    // Answers each message by a kv-put host call (payload `key\n\nvalue`): 1 when the host accepted it, 0 when it refused.
    const kvWriter = await wat(`(module (import "plex" "call" (func $call (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1 1) (global $next (mut i32) (i32.const 1024))
      (func (export "plex_alloc") (param $size i32) (result i32) (global.get $next) (global.set $next (i32.add (global.get $next) (local.get $size))))
      (func (export "plex_reply_ptr") (result i32) (i32.const 0))
      (func (export "plex_handle") (param i32 i32 i32 i32) (result i32)
        (i32.store8 (i32.const 0) (select (i32.const 0x31) (i32.const 0x30) (i32.ge_s (call $call (i32.const ${HostOp.KvPut}) (local.get 2) (local.get 3)) (i32.const 0))))
        (i32.const 1)))`);
    const { runtime } = system;
    await runtime.deploy('kv-simple', kvWriter, { world: 'simple-actor' });
    await runtime.deploy('kv-full', kvWriter);
    expect(runtime.moduleGrants('kv-full')?.world).toBe('plexspaces:core@0.1.0');
    const scope = { tenant: 'default', namespace: 'default' };
    expect(new TextDecoder().decode(await system.ask(await system.spawn('kv-simple'), 'put', 'a\n\n1'))).toBe('0');
    expect(await system.coordination.kv.get(scope, 'a')).toBeUndefined();
    expect(new TextDecoder().decode(await system.ask(await system.spawn('kv-full'), 'put', 'b\n\n2'))).toBe('1');
    expect(await system.coordination.kv.get(scope, 'b')).toBe('2');
    // A core module that imports plex.log cannot be declared for a world without logging.
    const logger = await wat(`(module (import "plex" "log" (func (param i32 i32 i32))) (memory (export "memory") 1)
      (func (export "plex_alloc") (param i32) (result i32) (i32.const 1024)) (func (export "plex_reply_ptr") (result i32) (i32.const 0))
      (func (export "plex_handle") (param i32 i32 i32 i32) (result i32) (i32.const 0)))`);
    await expect(runtime.deploy('logger', logger, { world: 'coordination-actor' })).rejects.toMatchObject({ message: expect.stringContaining('plex.log') });
    await expect(runtime.deploy('logger', logger, { world: 'actor-world' })).rejects.toMatchObject({ message: expect.stringContaining('core module') });
  });
});

describe('a manifest declares the world', () => {
  let node: PlexNode;
  beforeAll(() => {
    node = new PlexNode({ dataDir: null, workers: 1 });
  });
  afterAll(async () => {
    await node?.stop();
  });
  const manifest = (world: string) => `[supervisor]\nstrategy = "one_for_one"\n[[supervisor.children]]\nid = "t"\nmodule = "tuples.wasm"\nworld = "${world}"\ndurable = false\n`;

  it('deploys a bundle whose modules fit their declared worlds, and refuses one that does not, naming the interface', async () => {
    const files = new Map([['tuples.wasm', built.tuples.component]]);
    await node.applications.deployBundle('acme', 'prod', 'ok', manifest('coordination-actor'), files);
    expect(node.runtime.moduleGrants('acme:ok:tuples.wasm')?.world).toBe('coordination-actor');
    await expect(node.applications.deployBundle('acme', 'prod', 'bad', manifest('simple-actor'), files)).rejects.toMatchObject({
      code: 'PLEX_ERR_INVALID_MANIFEST',
      path: 'tuples.wasm',
      message: expect.stringContaining('plexspaces:platform/tuple-space'),
    });
    await expect(node.applications.deployBundle('acme', 'prod', 'bad', manifest('no-world'), files)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MANIFEST', path: 'supervisor.children[0].world' });
    expect(node.applications.list('acme').map((a) => a.applicationId)).toEqual(['ok']);
  });
});
