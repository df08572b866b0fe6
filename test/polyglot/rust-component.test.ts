import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNative } from '../../src/polyglot/build-native.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';
import { singleChildManifest } from '../support/manifests.js';
import { testReadme } from '../support/readme-commands.js';

/**
 * The article's annotated Rust counter (examples/polyglot/rust/counter-component), built from source
 * into a component of the simple-actor world through the components SDK (wit-bindgen, the standard
 * library built for wasm32 by the unpacked rustc-web): its README's commands on a real node, then
 * what the runtime sees of it — a component, its state as JSON, a snapshot restored.
 */
const crate = join(import.meta.dirname, '../../examples/polyglot/rust/counter-component');
// The first build compiles the standard library and wit-bindgen: minutes on two cores.
testReadme('counter-component', { examplesDir: 'examples/polyglot/rust', timeoutMs: 600_000 });

const text = new TextDecoder();
let runtime: ActorRuntime;
let component: Uint8Array;

beforeAll(async () => {
  const built = await buildNative(crate);
  expect(built.kind).toBe('component');
  component = built.wasm;
  runtime = new ActorRuntime({ workers: 1 });
  await runtime.deploy('counter', component);
}, 600_000);

afterAll(async () => {
  await runtime?.close();
});

describe('the Rust component on the runtime', () => {
  it('is a component (not a core module), small, and keeps its struct as JSON state', async () => {
    // A component starts with the component-model preamble: version 0x0d, layer 1.
    expect([...component.subarray(0, 8)]).toEqual([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);
    expect(component.byteLength).toBeLessThan(1 << 20);
    const id = await runtime.spawn('counter');
    expect(JSON.parse(text.decode(await runtime.ask(id, 'increment', JSON.stringify({ amount: 3 }))))).toEqual({ count: 3 });
    expect(JSON.parse(text.decode(await runtime.getState(id)))).toEqual({ count: 3 });
    // A snapshot restored into a fresh instance: the count goes on from it.
    const other = await runtime.spawn('counter');
    await runtime.setState(other, new TextEncoder().encode('{"count": 40}'));
    expect(JSON.parse(text.decode(await runtime.ask(other, 'increment', '{}')))).toEqual({ count: 41 });
    // A snapshot that does not fit the struct is refused, and the actor keeps its state.
    await expect(runtime.setState(other, new TextEncoder().encode('{"count": "many"}'))).rejects.toMatchObject({ code: 'PLEX_ERR_ACTOR_FAILED' });
    expect(JSON.parse(text.decode(await runtime.ask(other, 'increment', '{}')))).toEqual({ count: 42 });
  });

  it('imports only what it calls: the counter (messaging only) is a simple-actor component, and the node holds it to that', () => {
    expect(runtime.moduleGrants('counter')).toEqual({ world: 'simple-actor', capabilities: new Set(['messaging', 'logging']) });
  });

  it('an actor on the tuple space comes out a coordination-actor component, and its tuples are the space’s', async () => {
    const built = await buildNative(join(import.meta.dirname, '../fixtures/rust/tuples-component'));
    const node = new PlexNode({ dataDir: null, workers: 1 });
    try {
      await node.applications.deployBundle('acme', 'prod', 'jobs', singleChildManifest('jobs', 'jobs.wasm'), new Map([['jobs.wasm', built.wasm]]));
      const grants = node.runtime.moduleGrants(node.runtime.moduleOfActor('acme/prod/jobs')!);
      expect(grants).toEqual({ world: 'coordination-actor', capabilities: new Set(['messaging', 'tuple-space']) });
      const ask = async (type: string, payload: unknown) => JSON.parse(text.decode(await node.actors.ask('acme/prod/jobs', type, JSON.stringify(payload))));
      expect(await ask('post', { job: 5 })).toEqual({ posted: 5 });
      expect(await node.spaces.open({ tenant: 'acme', namespace: 'prod', name: 'default' }).tryRead(['job', 5, 'pending'])).toEqual(['job', 5, 'pending']);
      expect(await ask('claim', {})).toEqual({ claimed: 5 });
      expect(await ask('claim', {})).toEqual({ claimed: null });
    } finally {
      await node.stop();
    }
  }, 600_000);

  it('is built from the article’s source as printed', () => {
    const source = readFileSync(join(crate, 'src/lib.rs'), 'utf8');
    expect(source).toContain('use plexspaces_sdk::{gen_server_actor, plexspaces_handlers, handler, json};');
    expect(source).toContain('#[handler("increment")]');
    expect(source).toContain('async fn increment(&mut self, _ctx: &ActorContext, msg: &Message)');
  });
});
