import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { NodeServer } from '../../src/server/node-server.js';
import { HostOp } from '../../src/runtime/core-abi.js';
import { buildComponent } from '../support/components.js';
import { builtActor } from '../support/wasm-fixtures.js';

// Tenant `alpha` attacks tenant `beta` from inside its own actors, deployed and asked with alpha's own token:
// a core module (the probe, which makes any `plex.call` it is told to) and a component (host-prober.js, which calls
// any host or coordination function). Every host function that names an actor, a module or a scope is tried; each
// must be refused or stay inside alpha, and beta's actors and state must be exactly as they were.

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const WIT_DIR = '../../../wit';
let node: PlexNode;
let server: NodeServer;
let http: string;
const tokens: Record<string, string> = {};

const sign = (tenant: string) => new SignJWT({ tenant }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

async function api(tenant: string, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${http}${path}`, { method: 'POST', headers: { authorization: `Bearer ${tokens[tenant]}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function deploy(tenant: string, applicationId: string, wasm: Uint8Array): Promise<void> {
  const form = new FormData();
  form.set('application_id', applicationId);
  form.set('name', applicationId);
  form.set('version', '1.0.0');
  form.set('wasm_file', new Blob([new Uint8Array(wasm)]), `${applicationId}.wasm`);
  const response = await fetch(`${http}/api/v1/applications/deploy`, { method: 'POST', headers: { authorization: `Bearer ${tokens[tenant]}` }, body: form });
  expect(response.status, await response.clone().text()).toBe(201);
}

const ask = (tenant: string, actor: string, type: string, payload: unknown = {}) => api(tenant, `/api/v1/actors/${actor}/ask`, { message_type: type, payload });
/** One host call made by alpha's component actor `cprobe`, over HTTP with alpha's token; its result string. */
const componentCall = async (fn: string, ...args: unknown[]): Promise<string> => {
  const reply = await ask('alpha', 'cprobe', 'call', { fn, args });
  expect(reply.status).toBe(200);
  return reply.json.result as string;
};
/** One `plex.call` made by alpha's core-module actor `probe`: its reply ("ERROR" when the call failed). */
const coreCall = async (op: number, request: string): Promise<string> => new TextDecoder().decode(await node.actors.ask('alpha/default/probe', 'call', `${op}\n${request}`));

const FORBIDDEN = /^ERROR PLEX_ERR_FORBIDDEN: /;

beforeAll(async () => {
  node = new PlexNode({ dataDir: null, workers: 2 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0, auth: { enabled: true, algorithm: 'HS256', secret: SECRET } });
  ({ http } = await server.listen());
  tokens.alpha = await sign('alpha');
  tokens.beta = await sign('beta');
  const [probe, prober] = [builtActor('probe'), await buildComponent('host-prober.js', { wit: WIT_DIR, name: 'full-actor-world' })];
  await deploy('beta', 'vault', probe);
  await deploy('beta', 'cvault', prober);
  await deploy('alpha', 'probe', probe);
  await deploy('alpha', 'cprobe', prober);
  // beta's state: a counter at 1, a component's secret, a tuple, a KV entry, a blob.
  expect((await ask('beta', 'vault', 'inc')).json).toBe(1);
  expect((await ask('beta', 'cvault', 'set-secret', { value: 'beta-only' })).status).toBe(200);
  expect((await api('beta', '/api/v1/tuplespace/beta/default/default/write', { tuple: ['secret', 42] })).status).toBe(201);
  expect((await api('beta', '/api/v1/kv/beta/default/put', { key: 'password', value: 'hunter2' })).status).toBe(201);
  const blob = await fetch(`${http}/api/v1/blobs/beta/default/plans`, { method: 'PUT', headers: { authorization: `Bearer ${tokens.beta}`, 'content-type': 'text/plain' }, body: 'beta plans' });
  expect(blob.status).toBe(201);
  // alpha's actors come up the way beta's did.
  expect((await ask('alpha', 'probe', 'get')).json).toBe(0);
  expect((await ask('alpha', 'cprobe', 'secret')).status).toBe(200);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await node?.stop();
});

/** beta is exactly as set up: its actors alive with their state, its tuple, KV entry and blob in place, no stranger among its actors. */
async function expectBetaUntouched(): Promise<void> {
  expect((await ask('beta', 'vault', 'get')).json).toBe(1);
  expect((await ask('beta', 'cvault', 'secret')).json).toEqual({ value: 'beta-only' });
  expect((await api('beta', '/api/v1/tuplespace/beta/default/default/count', { template: [null, null] })).json.count).toBe(1);
  expect((await api('beta', '/api/v1/tuplespace/beta/default/default/count', { template: [null] })).json.count).toBe(0);
  expect((await api('beta', '/api/v1/kv/beta/default/get', { key: 'password' })).json.entry.value).toBe('hunter2');
  const betaActors = node.runtime
    .placement()
    .map((p) => p.actorId)
    .filter((id) => id.startsWith('beta/'))
    .sort();
  expect(betaActors).toEqual(['beta/default/cvault', 'beta/default/vault']);
}

describe('a tenant cannot reach another tenant through its actors’ host calls', () => {
  it('component: spawn, stop, ask, send, link, monitor, unlink and locks naming beta are refused with PLEX_ERR_FORBIDDEN', async () => {
    expect(await componentCall('spawn', 'alpha:cprobe', 'beta/default/spy', '{}')).toMatch(FORBIDDEN);
    expect(await componentCall('spawn', 'beta:cvault', 'mine', '{}')).toMatch(FORBIDDEN);
    expect(await componentCall('spawn', 'beta:cvault', 'alpha/default/mine', '{}')).toMatch(FORBIDDEN);
    expect(await componentCall('ask', 'beta/default/cvault', 'secret', '{}', 1000)).toMatch(FORBIDDEN);
    expect(await componentCall('ask', 'beta/default/vault', 'get', '{}', 1000)).toMatch(FORBIDDEN);
    expect(await componentCall('stop', 'beta/default/cvault')).toMatch(FORBIDDEN);
    expect(await componentCall('stop', 'beta/default/vault')).toMatch(FORBIDDEN);
    expect(await componentCall('send', 'beta/default/cvault', 'set-secret', '{"value":"pwned"}')).toMatch(FORBIDDEN);
    expect(await componentCall('send', 'beta/default/vault', 'inc', '')).toMatch(FORBIDDEN);
    expect(await componentCall('link', 'beta/default/vault')).toMatch(FORBIDDEN);
    expect(await componentCall('monitor', 'beta/default/vault')).toMatch(FORBIDDEN);
    expect(await componentCall('unlink', 'beta/default/vault')).toMatch(FORBIDDEN);
    expect(await componentCall('lockAcquire', 'beta', 'default', '', 'vault-lock', 10, 0)).toMatch(FORBIDDEN);
    // An unscoped id belongs to tenant `default`, not to alpha: refused too.
    expect(await componentCall('ask', 'some/where', 'x', '{}', 1000)).toMatch(FORBIDDEN);
    await expectBetaUntouched();
    expect(node.runtime.has('beta/default/spy')).toBe(false);
  });

  it('component: tuple space, KV, blobs, groups and channels reach alpha’s own scope only', async () => {
    expect(await componentCall('tsRead', '["secret", null]')).toBe('');
    expect(await componentCall('tsTake', '["secret", null]')).toBe('');
    expect(await componentCall('tsWrite', '["alpha-was-here"]')).toBe('');
    expect(await componentCall('kvGet', 'password')).toBe('');
    expect(await componentCall('kvPut', 'password', 'alpha-value')).toBe('ok');
    expect(await componentCall('blobDownload', 'plans')).toMatch(/^ERROR PLEX_ERR_NOT_FOUND/);
    expect(await componentCall('pgJoin', 'room')).toBe('ok');
    expect(JSON.parse(await componentCall('pgMembers', 'room'))).toEqual(['alpha/default/cprobe']);
    // What alpha wrote is alpha's: beta sees none of it.
    expect((await api('alpha', '/api/v1/tuplespace/alpha/default/default/count', { template: [null] })).json.count).toBe(1);
    expect((await api('alpha', '/api/v1/kv/alpha/default/get', { key: 'password' })).json.entry.value).toBe('alpha-value');
    expect(await node.actors.coordination.groups.members({ tenant: 'beta', namespace: 'default' }, 'room')).toEqual([]);
    await expectBetaUntouched();
  });

  it('component: a bare actor or module name is relative to the caller’s own tenant and namespace', async () => {
    expect(await componentCall('spawn', 'cprobe', 'helper', '{}')).toBe('alpha/default/helper');
    expect(node.runtime.has('alpha/default/helper')).toBe(true);
    expect(JSON.parse(await componentCall('ask', 'helper', 'secret', '{}', 5000))).toEqual({ value: 'none' });
    expect(await componentCall('stop', 'helper')).toBe('ok');
    await expect.poll(() => node.runtime.has('alpha/default/helper')).toBe(false);
    // Not alpha's module: the error names the tenant's form, never another tenant's module.
    expect(await componentCall('spawn', 'cvault', 'x', '{}')).toMatch(/^ERROR PLEX_ERR_MODULE_NOT_FOUND: .*alpha:cvault/);
  });

  it('component: timers and monitors of beta cannot be cancelled by guessing their ids', async () => {
    const timer = (await ask('beta', 'cvault', 'call', { fn: 'sendAfter', args: [600_000, 'later', '{}'] })).json.result as string;
    expect(timer).toMatch(/^timer-/);
    const ref = (await ask('beta', 'cvault', 'call', { fn: 'monitor', args: ['vault'] })).json.result as string;
    expect(ref).toMatch(/^mon-/);
    expect(await componentCall('cancelTimer', timer)).toBe('not-found');
    expect(await componentCall('demonitor', ref)).toBe('ok'); // nothing to say: alpha has no such monitor
    expect(node.actors.timers.pendingTimers('beta/default/cvault')).toBe(1);
    await node.runtime.stop('beta/default/vault');
    // beta's monitor still fired: cvault was told that vault went down.
    await expect.poll(async () => (await ask('beta', 'cvault', 'received')).json).toContain('down');
    // Re-activated by the ask with its state: application actors are durable by default.
    expect((await ask('beta', 'vault', 'get')).json).toBe(1);
  });

  it('core module: the same calls through plex.call are refused and change nothing', async () => {
    for (const request of ['alpha:probe\nbeta/default/spy\n', 'beta:vault\nmine\n', 'beta:vault\nalpha/default/mine\n']) expect(await coreCall(HostOp.Spawn, request)).toBe('ERROR');
    expect(await coreCall(HostOp.Ask, 'beta/default/vault\nget\n1000\n')).toBe('ERROR');
    expect(await coreCall(HostOp.Stop, 'beta/default/vault')).toBe('ERROR');
    expect(await coreCall(HostOp.Send, 'beta/default/vault\ninc\n')).toBe('ERROR');
    expect(await coreCall(HostOp.Send, 'beta/default/cvault\nset-secret\n{"value":"pwned"}')).toBe('ERROR');
    expect(await coreCall(HostOp.Link, 'beta/default/vault')).toBe('ERROR');
    expect(await coreCall(HostOp.Monitor, 'beta/default/vault')).toBe('ERROR');
    expect(await coreCall(HostOp.LockAcquire, 'beta\ndefault\n\nvault-lock\n10\n0')).toBe('ERROR');
    expect(await coreCall(HostOp.TsRead, '["secret", null]')).toBe('');
    expect(await coreCall(HostOp.KvGet, 'password')).toBe('alpha-value'); // alpha's own key of that name, set above
    expect(await coreCall(HostOp.BlobDownload, 'plans')).toBe('ERROR');
    // A relative send reaches alpha's own actor of that name.
    expect(await coreCall(HostOp.Send, 'probe\ninc\n')).toBe('');
    await expect.poll(async () => (await ask('alpha', 'probe', 'get')).json).toBe(1);
    await expectBetaUntouched();
  });

  it('a tenant’s shard actors run in its own scope', async () => {
    const created = await api('alpha', '/api/v1/shard-groups/alpha/default', { id: 'grid', application: 'probe', shards: 2 });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const shards = node.runtime
      .placement()
      .map((p) => p.actorId)
      .filter((id) => id.includes('/shard-'));
    expect(shards).toHaveLength(2);
    for (const id of shards) expect(id.startsWith('alpha/default/')).toBe(true);
    const answer = new TextDecoder().decode(await node.actors.ask(shards[0], 'call', `${HostOp.KvGet}\npassword`));
    expect(answer).toBe('alpha-value');
  });
});
