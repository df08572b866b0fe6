import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidManifestError } from '../../src/errors.js';
import { durabilityFacets, parseManifest, type ManifestWorker } from '../../src/node/app-manifest.js';
import { PlexNode } from '../../src/node/plex-node.js';
import { builtActorWasm } from '../../src/runtime/built-actors.js';
import { buildActor } from '../../src/sdk/build-actor.js';

const root = join(import.meta.dirname, '../..');

function workers(text: string): ManifestWorker[] {
  return parseManifest(text).supervisor.children.filter((c): c is ManifestWorker => !('supervisor' in c));
}

describe('manifest durability', () => {
  const tree = (extra: string, application = '') => `${application}\n[supervisor]\n[[supervisor.children]]\nid = "a"\n${extra}\n`;

  it('actors are durable unless the application or the actor says otherwise', () => {
    expect(parseManifest(tree('')).durable).toBe(true);
    expect(parseManifest(tree('', '[application]\ndurable = false')).durable).toBe(false);
    const [plain] = workers(tree(''));
    expect(durabilityFacets(plain.durability, true, true, 'a')).toEqual(['durability']);
    expect(durabilityFacets(plain.durability, false, true, 'a')).toEqual([]);
    const [optedOut] = workers(tree('durable = false'));
    expect(durabilityFacets(optedOut.durability, true, true, 'a')).toEqual([]);
    const [optedIn] = workers(tree('durable = true\ncheckpoint_every = 7'));
    expect(durabilityFacets(optedIn.durability, false, true, 'a')).toEqual([{ name: 'durability', checkpointEvery: 7 }]);
    const [byFacet] = workers(tree('facets = ["durability", "metrics"]'));
    expect(byFacet.facets).toEqual(['metrics']);
    expect(durabilityFacets(byFacet.durability, false, true, 'a')).toEqual(['durability']);
  });

  it('a module that cannot snapshot its state is not durable by default, and asking for it is an error naming the entry', () => {
    const [plain] = workers(tree(''));
    expect(durabilityFacets(plain.durability, true, false, 'supervisor child a')).toEqual([]);
    const [optedIn] = workers(tree('durable = true'));
    expect(() => durabilityFacets(optedIn.durability, true, false, 'supervisor child a')).toThrow(/supervisor child a.*snapshots its state/);
  });

  it('contradictions and typos are refused', () => {
    expect(() => parseManifest(tree('durable = false\nfacets = ["durability"]'))).toThrow(InvalidManifestError);
    expect(() => parseManifest(tree('durable = "no"'))).toThrow(/durable.*true or false/);
    expect(() => parseManifest(tree('', '[application]\ndurable = 1'))).toThrow(/application\.durable/);
    expect(() => parseManifest(tree('', '[application]\ndurible = false'))).toThrow(/application\.durible.*unknown key/);
  });
});

describe('bundles across a node restart (in process, same data directory)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plex-manifest-'));
  let counter: Uint8Array;
  beforeAll(async () => {
    counter = (await buildActor(join(root, 'test/fixtures/sdk/article-counter.ts'))).component;
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const manifest = (application: string) => `${application}
[supervisor]
[[supervisor.children]]
id = "kept"
module = "counter.wasm"
[[supervisor.children]]
id = "scratch"
module = "counter.wasm"
durable = false
`;

  async function countsAfterRestart(application: string, dataDir: string): Promise<Record<string, unknown>> {
    let node = new PlexNode({ dataDir, workers: 1 });
    const app = await node.applications.deployBundle('default', 'prod', 'counters', manifest(application), new Map([['counter.wasm', counter]]));
    for (const id of ['kept', 'scratch']) await node.actors.ask(`default/prod/${id}`, 'increment', '{"amount": 4}');
    await node.stop();
    node = new PlexNode({ dataDir, workers: 1 });
    try {
      expect(await node.restoreApplications()).toEqual({ restored: ['default/counters'], failed: [] });
      const count = async (id: string) => JSON.parse(new TextDecoder().decode(await node.actors.ask(`default/prod/${id}`, 'get', '{}'))).count;
      return { durable: app.durable, kept: await count('kept'), scratch: await count('scratch') };
    } finally {
      await node.stop();
    }
  }

  it('by default a bundle’s actors keep their state; one that opts out starts again', async () => {
    expect(await countsAfterRestart('', join(dir, 'default'))).toEqual({ durable: true, kept: 4, scratch: 0 });
  }, 60_000);

  it('[application] durable = false opts every actor out that does not say otherwise', async () => {
    expect(await countsAfterRestart('[application]\ndurable = false', join(dir, 'opted-out'))).toEqual({ durable: false, kept: 0, scratch: 0 });
  }, 60_000);

  it('a bundle with durable = true on a module that cannot snapshot is refused before anything starts', async () => {
    const node = new PlexNode({ dataDir: null, workers: 1 });
    try {
      const text = '[supervisor]\n[[supervisor.children]]\nid = "p"\nmodule = "pinger.wasm"\ndurable = true\n';
      await expect(node.applications.deployBundle('default', 'prod', 'pings', text, new Map([['pinger.wasm', builtActorWasm('pinger')]]))).rejects.toThrow(/supervisor child p.*snapshots its state/);
      expect(node.applications.list('default')).toEqual([]);
      expect(node.runtime.has('default/prod/p')).toBe(false);
    } finally {
      await node.stop();
    }
  }, 60_000);
});
