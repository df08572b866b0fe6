import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostOp } from '../../src/runtime/core-abi.js';
import WebSocket from 'ws';
import { PlexNode } from '../../src/node/plex-node.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { NodeServer } from '../../src/server/node-server.js';

// Every per-tenant quota, through the real HTTP gateway (and the websocket for jobs): a request over a
// limit is refused with PLEX_ERR_QUOTA_EXCEEDED (429) naming the limit, nothing changes, and other
// tenants are unaffected. Each test uses its own tenants, so the limits of one do not meet another's.

const QUOTAS = {
  actorsPerTenant: 3,
  memoryBytesPerTenant: 250_000,
  tableElementsPerActor: 1000,
  moduleBytesPerTenant: 1024,
  jobsPerTenant: 1,
  workersPerJob: 1,
  spacesPerTenant: 3,
  tuplesPerSpace: 3,
  bytesPerSpace: 4096,
  waitersPerSpace: 2,
};

let node: PlexNode;
let server: NodeServer;
let http: string;
let wsUrl: string;
let grpcAddress: string;
let tiny: Uint8Array;
let tabled: Uint8Array;
let hugeTable: Uint8Array;

const HANDLERS = `
  (func (export "plex_alloc") (param i32) (result i32) (i32.const 1024))
  (func (export "plex_reply_ptr") (result i32) (i32.const 0))`;

beforeAll(async () => {
  // 1 page of memory, no table: reserves 65 536 bytes.
  tiny = await wat(`(module (memory (export "memory") 1 1) ${HANDLERS}
    (func (export "plex_handle") (param i32 i32 i32 i32) (result i32) (i32.store8 (i32.const 0) (i32.const 0x31)) (i32.const 1)))`);
  // A table with no maximum: clamped to 1000 elements, so it reserves 65 536 + 1000 × 32 bytes. A message
  // type of 9 characters asks table.grow for 100 000 elements, any other for 10; the reply is G (grown) or R (refused).
  tabled = await wat(`(module (memory (export "memory") 1 1) (table $t 1 funcref) ${HANDLERS}
    (func (export "plex_handle") (param $tp i32) (param $tl i32) (param i32 i32) (result i32)
      (i32.store8 (i32.const 0)
        (select (i32.const 0x52) (i32.const 0x47)
          (i32.eq (table.grow $t (ref.null func) (select (i32.const 100000) (i32.const 10) (i32.eq (local.get $tl) (i32.const 9)))) (i32.const -1))))
      (i32.const 1)))`);
  hugeTable = await wat(`(module (memory (export "memory") 1 1) (table 10000000 funcref) ${HANDLERS}
    (func (export "plex_handle") (param i32 i32 i32 i32) (result i32) (i32.const 0)))`);
  node = new PlexNode({ dataDir: null, workers: 1, quotas: QUOTAS });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  const endpoints = await server.listen();
  http = endpoints.http;
  wsUrl = endpoints.ws;
  grpcAddress = endpoints.grpc;
}, 60_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

interface Reply {
  status: number;
  json: any;
}

async function post(path: string, body: unknown): Promise<Reply> {
  const response = await fetch(`${http}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

async function get(path: string): Promise<any> {
  return (await fetch(`${http}${path}`)).json();
}

async function deploy(tenant: string, applicationId: string, wasm: Uint8Array): Promise<Reply> {
  const form = new FormData();
  form.set('tenant', tenant);
  form.set('application_id', applicationId);
  form.set('name', applicationId);
  form.set('version', '1.0.0');
  form.set('wasm_file', new Blob([new Uint8Array(wasm)]), `${applicationId}.wasm`);
  const response = await fetch(`${http}/api/v1/applications/deploy`, { method: 'POST', body: form });
  return { status: response.status, json: await response.json() };
}

const ask = (tenant: string, actor: string, application: string, type = 'hello') => post(`/api/v1/actors/${actor}/ask`, { tenant, message_type: type, application_id: application });
const write = (space: string, tuple: unknown[]) => post(`/api/v1/tuplespace/${space}/write`, { tuple });
const count = async (space: string, template: unknown[]) => (await post(`/api/v1/tuplespace/${space}/count`, { template })).json.count as number;
const actorsOf = (tenant: string) =>
  node.runtime
    .placement()
    .map((p) => p.actorId)
    .filter((id) => id.startsWith(`${tenant}/`));

function expectQuota(reply: Reply, quota: string, limit: number, subject?: string): void {
  expect(reply.status, JSON.stringify(reply.json)).toBe(429);
  expect(reply.json.error.code).toBe('PLEX_ERR_QUOTA_EXCEEDED');
  expect(reply.json.error.message).toContain(`quota ${quota} (${limit}) exceeded for ${subject ?? ''}`);
}

describe('per-tenant quotas', () => {
  it('actorsPerTenant: asks to fresh ids stop activating actors at the limit; a stopped actor frees its place', async () => {
    for (const tenant of ['acts', 'acts-other']) expect((await deploy(tenant, 'tiny', tiny)).status).toBe(201);
    for (const id of ['a1', 'a2', 'a3']) expect((await ask('acts', id, 'tiny')).json).toBe(1);
    expectQuota(await ask('acts', 'a4', 'tiny'), 'actorsPerTenant', 3, 'tenant "acts"');
    expect(actorsOf('acts').sort()).toEqual(['acts/default/a1', 'acts/default/a2', 'acts/default/a3']);
    // The running ones still answer, and another tenant activates its own.
    expect((await ask('acts', 'a1', 'tiny')).json).toBe(1);
    for (const id of ['a1', 'a2', 'a3']) expect((await ask('acts-other', id, 'tiny')).status).toBe(200);
    await node.actors.stop('acts/default/a1');
    expect((await ask('acts', 'a4', 'tiny')).json).toBe(1);
  });

  it('actorsPerTenant holds for spawns from inside an actor: the host call over the limit fails and starts nothing', async () => {
    // Handles any message by making a spawn host call with its payload (`module\nid\n`); replies 1 (spawned) or 0 (refused).
    const spawner = await wat(`(module (import "plex" "call" (func $call (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1 1) (global $next (mut i32) (i32.const 1024))
      (func (export "plex_alloc") (param $size i32) (result i32) (global.get $next) (global.set $next (i32.add (global.get $next) (local.get $size))))
      (func (export "plex_reply_ptr") (result i32) (i32.const 0))
      (func (export "plex_handle") (param i32 i32 i32 i32) (result i32)
        (i32.store8 (i32.const 0) (select (i32.const 0x31) (i32.const 0x30) (i32.ge_s (call $call (i32.const ${HostOp.Spawn}) (local.get 2) (local.get 3)) (i32.const 0))))
        (i32.const 1)))`);
    expect((await deploy('spawner', 'boss', spawner)).status).toBe(201);
    // Activated over HTTP like any actor (its spawn of a request that names no id is refused: 0).
    expect((await post('/api/v1/actors/boss/ask', { tenant: 'spawner', message_type: 'spawn', payload: 'not a spawn', application_id: 'boss' })).json).toBe(0);
    const spawn = async (id: string) => Number(new TextDecoder().decode(await node.actors.ask('spawner/default/boss', 'spawn', `boss\n${id}\n`)));
    expect(await spawn('w1')).toBe(1);
    expect(await spawn('w2')).toBe(1);
    expect(await spawn('w3')).toBe(0);
    await expect.poll(() => actorsOf('spawner').sort()).toEqual(['spawner/default/boss', 'spawner/default/w1', 'spawner/default/w2']);
    expect(node.runtime.has('spawner/default/w3')).toBe(false);
  });

  it('memoryBytesPerTenant counts each actor’s memory and its tables at their capped maxima', async () => {
    expect((await deploy('mem', 'tabled', tabled)).status).toBe(201);
    expect((await deploy('mem-other', 'tabled', tabled)).status).toBe(201);
    // Memory alone (3 × 65 536) would fit 250 000; with the tables (3 × 97 536) the third does not.
    expect((await ask('mem', 't1', 'tabled')).status).toBe(200);
    expect((await ask('mem', 't2', 'tabled')).status).toBe(200);
    expectQuota(await ask('mem', 't3', 'tabled'), 'memoryBytesPerTenant', 250_000, 'tenant "mem"');
    expect(actorsOf('mem')).toHaveLength(2);
    expect((await ask('mem-other', 't1', 'tabled')).status).toBe(200);
  });

  it('tableElementsPerActor: a module that declares a bigger table is refused at deploy; table.grow past the cap fails in the module', async () => {
    const refused = await deploy('tables', 'huge', hugeTable);
    expect(refused.status).toBe(400);
    expect(refused.json.error.code).toBe('PLEX_ERR_INVALID_MODULE');
    expect(refused.json.error.message).toContain('a table of 10000000 elements at start; the limit is 1000');
    expect(node.applications.list('tables')).toEqual([]);
    expect((await deploy('tables', 'tabled', tabled)).status).toBe(201);
    expect((await ask('tables', 'g', 'tabled', 'grow')).json).toBe('G');
    expect((await ask('tables', 'g', 'tabled', 'grow-past')).json).toBe('R');
    // The actor lives on after the refused grow.
    expect((await ask('tables', 'g', 'tabled', 'grow')).json).toBe('G');
  });

  it('moduleBytesPerTenant: a deploy past the tenant’s total is refused; a redeploy replaces the old bytes', async () => {
    const padded = withCustomSection(tiny, 600);
    expect((await deploy('bytes', 'one', padded)).status).toBe(201);
    expectQuota(await deploy('bytes', 'two', padded), 'moduleBytesPerTenant', 1024, 'tenant "bytes"');
    expect(node.applications.list('bytes').map((a) => a.applicationId)).toEqual(['one']);
    expect((await ask('bytes', 'x', 'two')).status).toBe(404);
    expect((await deploy('bytes', 'one', padded)).status).toBe(201);
    expect((await deploy('bytes-other', 'two', padded)).status).toBe(201);
  });

  it('a shard group with more shards than the tenant may run starts none of them', async () => {
    expect((await deploy('grp', 'tiny', tiny)).status).toBe(201);
    expectQuota(await post('/api/v1/shard-groups/grp/default', { id: 'wide', application: 'tiny', shards: 4 }), 'actorsPerTenant', 3, 'tenant "grp"');
    expect((await get('/api/v1/shard-groups/grp/default')).groups).toEqual([]);
    expect(actorsOf('grp')).toEqual([]);
    expect((await post('/api/v1/shard-groups/grp/default', { id: 'narrow', application: 'tiny', shards: 2 })).status).toBe(201);
    // Its two shards count among the tenant's actors: one more actor fits, a second does not.
    expect((await ask('grp', 'x1', 'tiny')).status).toBe(200);
    expectQuota(await ask('grp', 'x2', 'tiny'), 'actorsPerTenant', 3, 'tenant "grp"');
  });

  it('tuplesPerSpace: a write into a full space is refused and nothing is stored, unless a waiting taker consumes it', async () => {
    const space = 'spc1/default/full';
    for (let i = 0; i < 3; i++) expect((await write(space, ['t', i])).status).toBe(201);
    expectQuota(await write(space, ['t', 3]), 'tuplesPerSpace', 3, 'space "spc1/default/full"');
    expect(await count(space, ['t', null])).toBe(3);
    // A batch must fit whole.
    expect((await write('spc1/default/half', ['t', 0])).status).toBe(201);
    expectQuota(await post('/api/v1/tuplespace/spc1/default/half/write-all', { tuples: [['t', 1], ['t', 2], ['t', 3]] }), 'tuplesPerSpace', 3);
    expect(await count('spc1/default/half', ['t', null])).toBe(1);
    // A write a blocked taker consumes is never stored, so it passes.
    const taking = post(`/api/v1/tuplespace/${space}/take`, { template: ['wanted'], timeoutMs: 60_000 });
    await expect.poll(async () => (await node.spaces.get({ tenant: 'spc1', namespace: 'default', name: 'full' })?.stats())?.waiters).toBe(1);
    expect((await write(space, ['wanted'])).status).toBe(201);
    expect((await taking).json).toEqual({ tuple: ['wanted'] });
    expect(await count(space, [null])).toBe(0);
    expect(await count(space, ['t', null])).toBe(3);
    // Another tenant's space of the same name is not full.
    expect((await write('spc1-other/default/full', ['t', 3])).status).toBe(201);
  });

  it('bytesPerSpace: a write that takes the space past its bytes is refused', async () => {
    const space = 'spc2/default/big';
    expect((await write(space, ['x'.repeat(1000)])).status).toBe(201);
    expectQuota(await write(space, ['y'.repeat(1000)]), 'bytesPerSpace', 4096, 'space "spc2/default/big"');
    expect(await count(space, [null])).toBe(1);
    // Taking frees the bytes.
    expect((await post(`/api/v1/tuplespace/${space}/take`, { template: [null] })).status).toBe(200);
    expect((await write(space, ['y'.repeat(1000)])).status).toBe(201);
  });

  it('waitersPerSpace: a blocking take past the bound is refused at once; the waiting ones are still served', async () => {
    const space = 'spc3/default/queue';
    const waiting = [0, 1].map(() => post(`/api/v1/tuplespace/${space}/take`, { template: ['job', null], timeoutMs: 60_000 }));
    await expect.poll(async () => (await node.spaces.get({ tenant: 'spc3', namespace: 'default', name: 'queue' })?.stats())?.waiters).toBe(2);
    expectQuota(await post(`/api/v1/tuplespace/${space}/take`, { template: ['job', null], timeoutMs: 60_000 }), 'waitersPerSpace', 2, 'space "spc3/default/queue"');
    // A non-blocking read does not wait, so it is not a waiter.
    expect((await post(`/api/v1/tuplespace/${space}/read`, { template: ['job', null] })).json).toEqual({ tuple: null });
    for (const n of [1, 2]) expect((await write(space, ['job', n])).status).toBe(201);
    const taken = await Promise.all(waiting);
    expect(taken.map((r) => r.json.tuple[1]).sort()).toEqual([1, 2]);
  });

  it('spacesPerTenant: opening one space more than the tenant may have is refused', async () => {
    for (const name of ['a', 'b', 'c']) expect((await write(`spaces/default/${name}`, [name])).status).toBe(201);
    expectQuota(await write('spaces/default/d', ['d']), 'spacesPerTenant', 3, 'tenant "spaces"');
    expect((await node.spaces.list('spaces')).map((r) => r.name)).toEqual(['a', 'b', 'c']);
    // Its existing spaces still work; another tenant opens its own.
    expect((await write('spaces/default/a', ['again'])).status).toBe(201);
    expect((await write('spaces-other/default/d', ['d'])).status).toBe(201);
  });

  it('jobsPerTenant and workersPerJob: a job over either is refused over the websocket; a finished job frees its place', async () => {
    const client = await connect();
    try {
      const tooWide = await client.call('job.nbody', { bodies: 64, steps: 1, workers: 2 }, 'jobs');
      expect(tooWide.error?.code).toBe('PLEX_ERR_QUOTA_EXCEEDED');
      expect(tooWide.error?.message).toContain('quota workersPerJob (1) exceeded for tenant "jobs"');
      // A long job, cancelled below; the second waits until the first has reported a step.
      const long = client.start('job.nbody', { bodies: 256, steps: 1_000_000, workers: 1 }, 'jobs');
      await client.firstEvent(long.id);
      const second = await client.call('job.nbody', { bodies: 64, steps: 1, workers: 1 }, 'jobs');
      expect(second.error?.code).toBe('PLEX_ERR_QUOTA_EXCEEDED');
      expect(second.error?.message).toContain('quota jobsPerTenant (1) exceeded for tenant "jobs"');
      // Another tenant's job runs meanwhile.
      const other = await client.call('job.nbody', { bodies: 64, steps: 2, workers: 1 }, 'jobs-other');
      expect(other.ok, JSON.stringify(other.error)).toBe(true);
      await client.call('cancel', { id: long.id }, 'jobs');
      expect((await long.done).error?.code).toBe('PLEX_ERR_ABORTED');
      const after = await client.call('job.nbody', { bodies: 64, steps: 2, workers: 1 }, 'jobs');
      expect(after.ok, JSON.stringify(after.error)).toBe(true);
    } finally {
      client.ws.close();
    }
  }, 120_000);
});

describe('quota errors on the other surfaces and from the config file', () => {
  it('gRPC answers RESOURCE_EXHAUSTED with the code in plex-error-code', async () => {
    const definition = protoLoader.loadSync(['plexspaces/v1/tuplespace.proto'], { includeDirs: [PROTO_ROOT], longs: String, enums: String, defaults: false, oneofs: true });
    const v1 = (grpc.loadPackageDefinition(definition) as any).plexspaces.v1;
    const ts = new v1.TupleSpace(grpcAddress, grpc.credentials.createInsecure());
    const space = { tenant: 'grpc', namespace: 'default', space: 'q' };
    const writeOne = (n: number) =>
      new Promise<grpc.ServiceError | null>((resolve) => ts.Write({ space, tuple: { fields: [{ number: n }] } }, (error: grpc.ServiceError | null) => resolve(error)));
    for (const n of [1, 2, 3]) expect(await writeOne(n)).toBeNull();
    const refused = await writeOne(4);
    expect(refused?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused?.metadata.get('plex-error-code')).toEqual(['PLEX_ERR_QUOTA_EXCEEDED']);
    expect(refused?.details).toContain('quota tuplesPerSpace (3) exceeded');
    ts.close();
  });

  it('a node started with a [quotas] table in its config file enforces it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plex-quotas-'));
    const config = join(dir, 'node.toml');
    writeFileSync(config, '[quotas]\ntuples_per_space = 1\n');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../src/cli/main.ts'), 'start', '--config', config, '--memory', '--http-port', '0', '--grpc-port', '0', '--workers', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`the node exited with ${code}: ${out}`)));
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('websocket: ')) resolve();
        });
      });
      const base = /http: (http:\/\/\S+)/.exec(out)![1];
      const writeTo = (tuple: unknown[]) => fetch(`${base}/api/v1/tuplespace/cfg/default/q/write`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tuple }) });
      expect((await writeTo(['first'])).status).toBe(201);
      const refused = await writeTo(['second']);
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as any).error.message).toContain('quota tuplesPerSpace (1) exceeded');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

interface Frame {
  id: number;
  ok?: boolean;
  result?: unknown;
  error?: { code: string; message: string };
  event?: string;
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint' });

/** A websocket client: responses by request id, and a promise of each request's first event. */
async function connect() {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let next = 1;
  const waiting = new Map<number, (frame: Frame) => void>();
  const firstEvents = new Map<number, { seen: boolean; resolve: () => void; promise: Promise<void> }>();
  const eventSlot = (id: number) => {
    let slot = firstEvents.get(id);
    if (slot === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      slot = { seen: false, resolve, promise };
      firstEvents.set(id, slot);
    }
    return slot;
  };
  ws.on('message', (data: Buffer) => {
    const frame = packr.unpack(data) as Frame;
    if (frame.event !== undefined) eventSlot(frame.id).resolve();
    else waiting.get(frame.id)?.(frame);
  });
  const start = (op: string, args: Record<string, unknown>, tenant: string) => {
    const id = next++;
    const done = new Promise<Frame>((resolve) => waiting.set(id, resolve));
    ws.send(packr.pack({ id, op, args, scope: { tenant, namespace: 'default' } }));
    return { id, done };
  };
  return {
    ws,
    start,
    call: (op: string, args: Record<string, unknown>, tenant: string) => start(op, args, tenant).done,
    firstEvent: (id: number) => eventSlot(id).promise,
  };
}

async function wat(source: string): Promise<Uint8Array> {
  const wabt = await (await import('wabt')).default();
  const module = wabt.parseWat('test.wat', source, { reference_types: true, bulk_memory: true });
  const { buffer } = module.toBinary({});
  module.destroy();
  return buffer;
}

/** `wasm` with a custom section of `size` payload bytes appended (a bigger module that runs the same). */
function withCustomSection(wasm: Uint8Array, size: number): Uint8Array {
  const name = new TextEncoder().encode('pad');
  const body = [name.length, ...name, ...new Uint8Array(size)];
  const length: number[] = [];
  let n = body.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return new Uint8Array([...wasm, 0, ...length, ...body]);
}
