import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { findPythonToolchain, PYTHON_SDK_DIR } from '../../src/polyglot/build-python.js';
import { CAPABILITIES, LEGACY_WORLDS, PLATFORM_WORLDS } from '../../src/runtime/capabilities.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { singleChildManifest } from '../support/manifests.js';
import { buildPythonComponent } from '../support/python-components.js';

// `plexspaces build actor.py` picks the narrowest world that covers the host functions the actor names
// (sdks/python/src/plexspaces/worlds.py), builds it with componentize-py against the platform WIT, and the
// node holds the component to that world: real builds, deployed on a real node.
const ROOT = resolve(import.meta.dirname, '../..');
const fixtures = join(import.meta.dirname, '../fixtures/python/worlds');
const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));


describe('the Python SDK and the platform worlds', () => {
  it("its world tables are the runtime's (src/runtime/capabilities.ts)", () => {
    const { python, env } = findPythonToolchain();
    const dump = spawnSync(python, ['-c', 'import json; from plexspaces import worlds as w; print(json.dumps({"c": list(w.CAPABILITIES), "p": {k: list(v) for k, v in w.PLATFORM_WORLDS.items()}, "l": {k: list(v) for k, v in w.LEGACY_WORLDS.items()}}))'], { encoding: 'utf8', env });
    expect(dump.status, dump.stderr).toBe(0);
    const tables = JSON.parse(dump.stdout);
    expect(tables.c).toEqual([...CAPABILITIES]);
    expect(tables.p).toEqual(Object.fromEntries(Object.entries(PLATFORM_WORLDS).map(([k, v]) => [k, [...v]])));
    expect(tables.l).toEqual(Object.fromEntries(Object.entries(LEGACY_WORLDS).map(([k, v]) => [k, [...v]])));
  });

  it('bundles the same platform WIT as wit/platform', () => {
    for (const file of ['worlds.wit', ...CAPABILITIES.map((c) => `${c}.wit`), 'actor.wit']) {
      expect(readFileSync(join(PYTHON_SDK_DIR, 'plexspaces', 'wit', 'platform', file), 'utf8')).toBe(readFileSync(join(ROOT, 'wit', 'platform', file), 'utf8'));
    }
  });
});

describe('Python actors built for the narrowest world, on a node', () => {
  let node: PlexNode;
  const ask = async (actor: string, type: string, payload: unknown = {}) => decode(await node.actors.ask(actor, type, JSON.stringify(payload)));
  /** Deploys the component as application `app` of acme/prod; answers the world the node holds its actor to. */
  const deploy = async (app: string, component: Uint8Array) => {
    await node.applications.deployBundle('acme', 'prod', app, singleChildManifest(app, `${app}.wasm`), new Map([[`${app}.wasm`, component]]));
    const grants = node.runtime.moduleGrants(node.runtime.moduleOfActor(`acme/prod/${app}`) ?? '');
    return { world: grants?.world, capabilities: [...(grants?.capabilities ?? [])] };
  };

  beforeAll(async () => {
    node = new PlexNode({ dataDir: null, workers: 1 });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('an actor that replies and logs is built for simple-actor: it imports messaging and logging only, and runs', async () => {
    const component = await buildPythonComponent(join(fixtures, 'greeter.py'));
    expect(await deploy('greeter', component)).toEqual({ world: 'simple-actor', capabilities: ['messaging', 'logging'] });
    expect(await ask('acme/prod/greeter', 'greet', { name: 'ada' })).toEqual({ greeting: 'hello, ada', me: 'acme/prod/greeter' });
  }, 240_000);

  it('an actor on the tuple space is built for coordination-actor, and its tuples are in the space', async () => {
    const component = await buildPythonComponent(join(fixtures, 'jobs.py'));
    expect(await deploy('jobs', component)).toEqual({ world: 'coordination-actor', capabilities: ['messaging', 'tuple-space'] });
    expect(await ask('acme/prod/jobs', 'post', { job: 7 })).toEqual({ posted: 7 });
    expect(await ask('acme/prod/jobs', 'claim')).toEqual({ claimed: 7 });
    expect(await ask('acme/prod/jobs', 'claim')).toEqual({ claimed: null });
    const space = node.spaces.open({ tenant: 'acme', namespace: 'prod', name: 'default' });
    expect(await space.tryRead(['job', 7, 'done'])).toEqual(['job', 7, 'done']);
    // Linda's eval from inside: each number tested by a task of another module, in parallel, written when all answered.
    await node.runtime.deploy('acme:primes', (await buildActor(join(import.meta.dirname, '../fixtures/eval/primes.ts'))).component);
    expect(await ask('acme/prod/jobs', 'primes_of', { numbers: [2, 9, 11] })).toEqual({ written: ['primes', true, false, true] });
    expect(await space.tryTake(['primes', null, null, null])).toEqual(['primes', true, false, true]);
  }, 240_000);

  it('built for simple-actor, an actor that reaches for other capabilities by computed names gets nothing', async () => {
    const component = await buildPythonComponent(join(fixtures, 'sneaky.py'), undefined, 'simple-actor');
    expect((await deploy('sneaky', component)).world).toBe('simple-actor');
    for (const [fn, args, capability] of [
      ['ts_write', [['loot', 1]], 'tuple-space'],
      ['kv_put', ['k', 'v'], 'key-value'],
      ['channel_send', ['q', 1], 'channels'],
      ['lock_acquire', ['leader', 0], 'locks'],
    ] as const) {
      expect((await ask('acme/prod/sneaky', 'reach', { function: fn, args })).refused).toBe(`ERROR PLEX_ERR_FORBIDDEN: this actor was built for world simple-actor, which does not import ${capability}`);
    }
    // Around the SDK, straight to the bindings: the component has none for an interface its world lacks.
    expect((await ask('acme/prod/sneaky', 'bind', { interface: 'tuple_space' })).refused).toMatch(/No module named 'wit_world\.imports\.tuple_space'/);
    expect(await ask('acme/prod/sneaky', 'bind', { interface: 'logging' })).toEqual({ bound: 'logging' });
    expect(await node.spaces.open({ tenant: 'acme', namespace: 'prod', name: 'default' }).tryRead(['loot', null])).toBeNull();
  }, 240_000);

  it('refuses at build a world that does not cover the actor, naming what is missing and the narrowest that does', async () => {
    await expect(buildPythonComponent(join(fixtures, 'jobs.py'), undefined, 'simple-actor')).rejects.toMatchObject({
      code: 'PLEX_ERR_BUILD_FAILED',
      message: expect.stringMatching(/uses tuple-space, which world simple-actor does not include .*the narrowest world that covers the actor is coordination-actor/),
    });
    await expect(buildPythonComponent(join(fixtures, 'jobs.py'), undefined, 'tiny-actor')).rejects.toMatchObject({ message: expect.stringMatching(/unknown world 'tiny-actor'/) });
  });

  it('the printed worlds still build on request, and run as before', async () => {
    const component = await buildPythonComponent(join(fixtures, 'jobs.py'), undefined, 'full-actor-world');
    expect((await deploy('printed', component)).world).toBe('full-actor-world');
    expect(await ask('acme/prod/printed', 'post', { job: 9 })).toEqual({ posted: 9 });
  }, 240_000);
});
