import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';

const root = join(import.meta.dirname, '../..');
const text = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));
let node: PlexNode;
const files = new Map<string, Uint8Array>();

beforeAll(async () => {
  for (const name of ['chat-room', 'rate-limiter', 'chat-member']) {
    files.set(`${name.replace('-', '_')}.wasm`, (await buildActor(join(root, 'examples/chat', `${name}.ts`))).component);
  }
  node = new PlexNode({ dataDir: null, workers: 2 });
}, 120_000);
afterAll(async () => {
  await node?.stop();
});

describe('the chat example application', () => {
  it('deploys from its manifest; members in the room’s process group get posts; the rate limiter cuts a flood', async () => {
    const manifest = readFileSync(join(root, 'examples/chat/app-config.toml'), 'utf8').replace('max_tokens = "5"', 'max_tokens = "2"').replace('refill_rate_ms = "1000"', 'refill_rate_ms = "60000"');
    const info = await node.applications.deployBundle('acme', 'prod', 'chat', manifest, files);
    expect(info.actors).toEqual(['acme/prod/chat-room', 'acme/prod/rate-limiter']);
    const actors = node.actors;
    for (const who of ['alice', 'bob']) expect(text(await actors.ask(`acme/prod/member:${who}`, 'join', JSON.stringify({ room: 'lobby' })))).toEqual({ joined: 'lobby' });
    expect(await node.actors.coordination.groups.members({ tenant: 'acme', namespace: 'prod' }, 'room:lobby')).toEqual(['acme/prod/member:alice', 'acme/prod/member:bob']);
    const post = (user: string, t: string) => actors.ask('acme/prod/chat-room', 'post', JSON.stringify({ user, text: t })).then(text);
    expect(await post('alice', 'hi')).toEqual({ delivered: 2 });
    expect(await post('alice', 'anyone?')).toEqual({ delivered: 2 });
    expect(await post('alice', 'spam')).toMatchObject({ delivered: 0, rate_limited: true });
    expect(await post('bob', 'hello alice')).toEqual({ delivered: 2 });
    const inbox = async (who: string) => text(await actors.ask(`acme/prod/member:${who}`, 'inbox')).inbox.map((m: { text: string }) => m.text);
    expect(await inbox('bob')).toEqual(['hi', 'anyone?', 'hello alice']);
    expect((await actors.ask('acme/prod/chat-room', 'history').then(text)).history).toHaveLength(3);
    // A member that dies leaves the group by itself.
    await actors.kill('acme/prod/member:bob');
    expect(await post('carol', 'bob?')).toEqual({ delivered: 1 });
    // The room is supervised: a crash brings it back (its history starts over; it is not durable).
    await actors.kill('acme/prod/chat-room');
    await node.applications.supervisor('acme', 'chat')!.idle();
    expect(node.runtime.has('acme/prod/chat-room')).toBe(true);
  });

  it('refuses a bundle whose manifest is wrong, or whose modules are missing or invalid, and starts nothing', async () => {
    const before = node.runtime.placement().length;
    const manifest = readFileSync(join(root, 'examples/chat/app-config.toml'), 'utf8');
    await expect(node.applications.deployBundle('acme', 'prod', 'bad1', manifest.replace('one_for_one', 'one_for_some'), files)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MANIFEST', path: 'supervisor.strategy' });
    const missing = new Map(files);
    missing.delete('rate_limiter.wasm');
    await expect(node.applications.deployBundle('acme', 'prod', 'bad2', manifest, missing)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MANIFEST', path: 'rate_limiter.wasm' });
    const broken = new Map(files);
    broken.set('rate_limiter.wasm', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]));
    await expect(node.applications.deployBundle('acme', 'prod', 'bad3', manifest, broken)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MODULE' });
    await expect(node.applications.deployBundle('acme', 'prod', 'bad4', '[supervisor]\nstrategy = "one_for_one"\n[[supervisor.children]]\nid = "x"\nmodule = "../etc/passwd.wasm"\n', files)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MANIFEST' });
    await expect(node.applications.deployBundle('acme', 'prod', 'bad5', 'not [toml', files)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MANIFEST' });
    // A module that is not of the world its entry declares is refused before anything starts.
    const wrongWorld = manifest.replace('module = "rate_limiter.wasm"', 'module = "rate_limiter.wasm"\nworld = "plexspaces:core@0.1.0"');
    await expect(node.applications.deployBundle('acme', 'prod', 'bad6', wrongWorld, files)).rejects.toMatchObject({ code: 'PLEX_ERR_INVALID_MANIFEST', path: 'rate_limiter.wasm' });
    expect(node.runtime.placement().length).toBe(before);
    expect(node.applications.list('acme').map((a) => a.applicationId)).toEqual(['chat']);
  });
});
