import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlexNode } from '../../src/node/plex-node.js';
import { buildActor } from '../../src/sdk/build-actor.js';
import { PROTO_ROOT } from '../../src/server/grpc-server.js';
import { NodeServer } from '../../src/server/node-server.js';

const execFileAsync = promisify(execFile);
let node: PlexNode;
let server: NodeServer;
let address: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let v1: any;
let bank: Uint8Array;

beforeAll(async () => {
  bank = (await buildActor(join(import.meta.dirname, '../fixtures/sdk/bank-account.ts'))).component;
  node = new PlexNode({ dataDir: null, workers: 1 });
  server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
  address = (await server.listen()).grpc;
  const definition = protoLoader.loadSync(['tuplespace.proto', 'actor.proto', 'node.proto', 'shardgroup.proto'].map((f) => `plexspaces/v1/${f}`), {
    includeDirs: [PROTO_ROOT],
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  v1 = (grpc.loadPackageDefinition(definition) as never as { plexspaces: { v1: unknown } }).plexspaces.v1;
}, 120_000);
afterAll(async () => {
  await server?.close();
  await node?.stop();
});

/** Promisified unary call. */
function call<T>(client: grpc.Client, method: string, request: unknown, options: grpc.CallOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: unknown, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v: T) => void) => void>)[method](
      request,
      new grpc.Metadata(),
      options,
      (error, value) => (error ? reject(error) : resolve(value)),
    );
  });
}

const space = { tenant: 'acme', namespace: 'jobs', space: 'q' };
const str = (s: string) => ({ string: s });

describe('gRPC surface', () => {
  it('TupleSpace: every field type round-trips; blocking take honours its timeout and is woken by a write', async () => {
    const ts = new v1.TupleSpace(address, grpc.credentials.createInsecure());
    const tuple = {
      fields: [
        str('every'),
        { number: 1.5 },
        { int: '-9007199254740993' },
        { bool: true },
        { bytes: Buffer.from([0, 1, 255]) },
        { null: 'NULL_VALUE' },
        { array: { fields: [{ number: 1 }, { array: { fields: [str('deep')] } }] } },
        { record: { fields: { a: { number: 2 }, $int: str('looks like a tag') } } },
      ],
    };
    await call(ts, 'Write', { space, tuple });
    const read = await call<{ tuple: { fields: unknown[] } }>(ts, 'TryRead', { space, template: { fields: [{ value: str('every') }, ...Array.from({ length: 7 }, () => ({ any: {} }))] } });
    expect(read.tuple.fields).toEqual([
      { kind: 'string', string: 'every' },
      { kind: 'number', number: 1.5 },
      { kind: 'int', int: '-9007199254740993' },
      { kind: 'bool', bool: true },
      { kind: 'bytes', bytes: Buffer.from([0, 1, 255]) },
      { kind: 'null', null: 'NULL_VALUE' },
      { kind: 'array', array: { fields: [{ kind: 'number', number: 1 }, { kind: 'array', array: { fields: [{ kind: 'string', string: 'deep' }] } }] } },
      { kind: 'record', record: { fields: { a: { kind: 'number', number: 2 }, $int: { kind: 'string', string: 'looks like a tag' } } } },
    ]);
    // Operators: range, prefix, type, in, and null matched by value (not as a wildcard).
    const template = { fields: [{ prefix: 'ev' }, { range: { gt: { number: 1 }, lt: { number: 2 } } }, { type: 'int' }, { in: { fields: [{ bool: false }, { bool: true }] } }, { any: {} }, { value: { null: 'NULL_VALUE' } }, { any: {} }, { any: {} }] };
    expect((await call<{ count: string }>(ts, 'Count', { space, template })).count).toBe('1');
    // Blocking take: times out with no tuple, or is woken by a write.
    const started = Date.now();
    expect((await call<{ tuple?: unknown }>(ts, 'Take', { space, template: { fields: [{ value: str('never') }] }, timeoutMs: '150' })).tuple).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const waiting = call<{ tuple: { fields: { string: string }[] } }>(ts, 'Take', { space, template: { fields: [{ value: str('late') }] }, timeoutMs: '5000' });
    await new Promise((r) => setTimeout(r, 100));
    await call(ts, 'Write', { space, tuple: { fields: [str('late')] } });
    expect((await waiting).tuple.fields[0].string).toBe('late');
    ts.close();
  });

  it('Watch streams events; bad requests get INVALID_ARGUMENT with the PLEX code; other tenants see nothing', async () => {
    const ts = new v1.TupleSpace(address, grpc.credentials.createInsecure());
    const events: string[] = [];
    const stream = ts.Watch({ space: { ...space, space: 'w' }, template: { fields: [{ any: {} }] } });
    stream.on('data', (e: { type: string; tuple: { fields: { string: string }[] } }) => events.push(`${e.type}:${e.tuple.fields[0].string}`));
    stream.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 50));
    await call(ts, 'Write', { space: { ...space, space: 'w' }, tuple: { fields: [str('a')] } });
    await call(ts, 'TryTake', { space: { ...space, space: 'w' }, template: { fields: [{ any: {} }] } });
    await new Promise((r) => setTimeout(r, 50));
    stream.cancel();
    expect(events).toEqual(['write:a', 'take:a']);
    const bad = await call(ts, 'Write', { space, tuple: { fields: [] } }).catch((e: grpc.ServiceError) => e);
    expect((bad as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((bad as grpc.ServiceError).metadata.get('plex-error-code')).toEqual(['PLEX_ERR_INVALID_TUPLE']);
    const noKind = await call(ts, 'Write', { space, tuple: { fields: [{}] } }).catch((e: grpc.ServiceError) => e);
    expect((noKind as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await call<{ count: string }>(ts, 'Count', { space: { ...space, tenant: 'globex' }, template: { fields: [{ any: {} }] } })).count).toBe('0');
    ts.close();
  });

  it('TakeWithAck / Ack / Nack: held tuples come back on Nack; another tenant cannot settle them', async () => {
    const ts = new v1.TupleSpace(address, grpc.credentials.createInsecure());
    const safe = { ...space, space: 'safe' };
    await call(ts, 'WriteAll', { space: safe, tuples: [{ fields: [str('job'), { number: 1 }] }] });
    const template = { fields: [{ value: str('job') }, { any: {} }] };
    const taken = await call<{ tuple: unknown; deliveryId: string; deliveries: number }>(ts, 'TakeWithAck', { space: safe, template, leaseMs: '60000' });
    expect(taken.deliveries).toBe(1);
    expect((await call<{ count: string }>(ts, 'Count', { space: safe, template })).count).toBe('0');
    const forged = await call(ts, 'Ack', { space: { ...safe, tenant: 'globex' }, deliveryId: taken.deliveryId }).catch((e: grpc.ServiceError) => e);
    expect((forged as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    await call(ts, 'Nack', { space: safe, deliveryId: taken.deliveryId });
    expect((await call<{ count: string }>(ts, 'Count', { space: safe, template })).count).toBe('1');
    const again = await call<{ deliveryId: string; deliveries: number }>(ts, 'TakeWithAck', { space: safe, template });
    expect(again.deliveries).toBe(2);
    await call(ts, 'Ack', { space: safe, deliveryId: again.deliveryId });
    expect((await call<{ count: string }>(ts, 'Count', { space: safe, template })).count).toBe('0');
    expect(await call(ts, 'TakeWithAck', { space: safe, template })).toEqual({});
    ts.close();
  });

  it('Application, Actor and Node services', async () => {
    const app = new v1.Application(address, grpc.credentials.createInsecure());
    const actor = new v1.Actor(address, grpc.credentials.createInsecure());
    const nodeClient = new v1.Node(address, grpc.credentials.createInsecure());
    expect(await call(nodeClient, 'Health', {})).toEqual({ status: 'ok' });
    // A node alone lists itself, as a cluster's nodes list every live member (test/cluster/cluster-nodes.test.ts).
    const nodes = await call<{ backend: string; self: string; nodes: { id: string; grpcAddress: string; workers: number; expiresAt: string }[] }>(nodeClient, 'Nodes', {});
    expect(nodes).toMatchObject({ backend: '', nodes: [{ id: nodes.self, grpcAddress: address, workers: 1, expiresAt: '0' }] });
    expect(await call(app, 'Deploy', { tenant: 'acme', applicationId: 'bank', name: 'bank-account', version: '1.0.0', wasm: Buffer.from(bank) })).toMatchObject({ applicationId: 'bank', durable: true });
    const ref = { tenant: 'acme', namespace: 'eu', id: 'alice' };
    const reply = await call<{ replyJson: string }>(actor, 'Ask', { actor: ref, messageType: 'deposit', payloadJson: '{"amount": 40}', applicationId: 'bank' });
    expect(JSON.parse(reply.replyJson)).toEqual({ balance: 40 });
    expect((await call<{ ids: string[] }>(actor, 'List', { tenant: 'acme', namespace: 'eu' })).ids).toEqual(['alice']);
    const foreign = await call(actor, 'Ask', { actor: { ...ref, tenant: 'globex' }, messageType: 'balance', payloadJson: '{}' }).catch((e: grpc.ServiceError) => e);
    expect((foreign as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    // A bundle: the manifest and its modules by file name; the tree starts in the namespace asked for.
    const manifest = '[supervisor]\nstrategy = "one_for_one"\n[[supervisor.children]]\nid = "vault"\nmodule = "bank.wasm"\ndurable = true\n';
    const bundle = await call<{ kind: string; actors: string[] }>(app, 'Deploy', { tenant: 'acme', applicationId: 'vaults', namespace: 'eu', manifest, modules: { 'bank.wasm': Buffer.from(bank) } });
    expect(bundle).toMatchObject({ kind: 'bundle', actors: ['acme/eu/vault'] });
    const vault = await call<{ replyJson: string }>(actor, 'Ask', { actor: { tenant: 'acme', namespace: 'eu', id: 'vault' }, messageType: 'deposit', payloadJson: '{"amount": 5}' });
    expect(JSON.parse(vault.replyJson)).toEqual({ balance: 5 });
    const bad = await call(app, 'Deploy', { tenant: 'acme', applicationId: 'bad', manifest: '[supervisor]\nstrategy = "sideways"\n', modules: {} }).catch((e: grpc.ServiceError) => e);
    expect((bad as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    [app, actor, nodeClient].forEach((c) => c.close());
  });

  // Debian's python3-grpcio / python3-grpc-tools live in Debian's interpreter (.ci/run installs them),
  // which is not necessarily the first python3 on PATH.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

  it('a Python client generated from proto/ alone drives the node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'plex-py-'));
    try {
      const generated = spawnSync(python, ['-m', 'grpc_tools.protoc', `-I${PROTO_ROOT}`, `--python_out=${dir}`, `--grpc_python_out=${dir}`, ...['tuple', 'tuplespace', 'node'].map((f) => `plexspaces/v1/${f}.proto`)], { encoding: 'utf8' });
      expect(generated.status, generated.stderr).toBe(0);
      writeFileSync(
        join(dir, 'client.py'),
        `
import sys, grpc
sys.path.insert(0, ${JSON.stringify(dir)})
from plexspaces.v1 import tuple_pb2 as t, tuplespace_pb2 as ts, tuplespace_pb2_grpc as ts_grpc, node_pb2, node_pb2_grpc
channel = grpc.insecure_channel(sys.argv[1])
print(node_pb2_grpc.NodeStub(channel).Health(node_pb2.HealthRequest()).status)
space = ts.SpaceRef(tenant="py", namespace="lab", space="results")
stub = ts_grpc.TupleSpaceStub(channel)
stub.Write(ts.WriteRequest(space=space, tuple=t.Tuple(fields=[t.Field(string="answer"), t.Field(int=2**62 + 1), t.Field(bytes=b"\\x00\\xff")])))
found = stub.Take(ts.ReadRequest(space=space, template=t.Template(fields=[t.TemplateField(value=t.Field(string="answer")), t.TemplateField(any=t.Wildcard()), t.TemplateField(type="bytes")]), timeout_ms=1000))
print(found.tuple.fields[1].int, found.tuple.fields[2].bytes.hex())
print(stub.Count(ts.ReadRequest(space=space, template=t.Template(fields=[t.TemplateField(any=t.Wildcard())] * 3))).count)
try:
    stub.Write(ts.WriteRequest(space=space, tuple=t.Tuple()))
except grpc.RpcError as e:
    print(e.code().name, dict(e.trailing_metadata()).get("plex-error-code"))
`,
      );
      // Asynchronously: the node under test runs in this process and must keep serving.
      const run = await execFileAsync(python, [join(dir, 'client.py'), address], { encoding: 'utf8', timeout: 30_000 });
      expect(run.stdout.trim().split('\n')).toEqual(['ok', `${2n ** 62n + 1n} 00ff`, '0', 'INVALID_ARGUMENT PLEX_ERR_INVALID_TUPLE']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('gRPC ShardGroup service', () => {
  it('create, bulk update, reduce, streaming scatter-gather in completion order, scale, delete', async () => {
    const kv = (await buildActor(join(import.meta.dirname, '../../examples/actors/kv-shard.ts'))).component;
    const app = new v1.Application(address, grpc.credentials.createInsecure());
    const groups = new v1.ShardGroup(address, grpc.credentials.createInsecure());
    await call(app, 'Deploy', { tenant: 'acme', applicationId: 'kv', name: 'kv-shard', version: '1', wasm: Buffer.from(kv) });
    const group = { tenant: 'acme', namespace: 'eu', id: 'users' };
    expect(await call(groups, 'Create', { group, applicationId: 'kv', shards: 3 })).toMatchObject({ id: 'users', shards: 3 });
    const dup = await call(groups, 'Create', { group, applicationId: 'kv', shards: 3 }).catch((e: grpc.ServiceError) => e);
    expect((dup as grpc.ServiceError).code).toBe(grpc.status.ALREADY_EXISTS);
    await call(groups, 'BulkUpdate', { group, entries: Array.from({ length: 50 }, (_, i) => ({ keyJson: JSON.stringify(`k${i}`), valueJson: String(i) })) });
    const sum = await call<{ valueJson: string; shards: { status: string }[] }>(groups, 'Reduce', { group, messageType: 'stats', payloadJson: '{}', op: 'sum', path: 'sum' });
    expect(JSON.parse(sum.valueJson)).toBe(1225);
    expect(sum.shards.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
    const streamed: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = groups.ScatterGather({ group, messageType: 'barrier', payloadJson: '{"round": 4}' });
      stream.on('data', (r: { shard: number; valueJson: string }) => {
        expect(JSON.parse(r.valueJson)).toEqual({ round: 4 });
        streamed.push(r.shard);
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    expect(streamed.sort()).toEqual([0, 1, 2]);
    expect(await call(groups, 'Scale', { group, shards: 4 })).toMatchObject({ from: 3, to: 4, keys: '50' });
    expect((await call<{ groups: { id: string; shards: number }[] }>(groups, 'List', { tenant: 'acme', namespace: 'eu' })).groups).toEqual([expect.objectContaining({ id: 'users', shards: 4 })]);
    await call(groups, 'Delete', { group });
    const gone = await call(groups, 'Barrier', { group, round: '1' }).catch((e: grpc.ServiceError) => e);
    expect((gone as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    app.close();
    groups.close();
  });

  it('a malformed protobuf message gets INTERNAL/INVALID status and the node keeps serving', async () => {
    // Send raw bytes that are not a valid WriteRequest through a hand-made method definition.
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    const garbage = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest(
        '/plexspaces.v1.TupleSpace/Write',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        (error) => resolve(error),
      );
    });
    expect(garbage?.code).toBeDefined();
    expect([grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT]).toContain(garbage?.code);
    client.close();
    const nodeClient = new v1.Node(address, grpc.credentials.createInsecure());
    expect(await call(nodeClient, 'Health', {})).toEqual({ status: 'ok' });
    nodeClient.close();
  });
});
