import { startClusterActors } from '../cluster/cluster-actors.js';
import { joinCluster } from '../cluster/join-cluster.js';
import { connectRedis, type RedisClient } from '../cluster/redis-client.js';
import { RedisSpaceCatalog } from '../cluster/redis-space/redis-space-catalog.js';
import { RedisWakeups } from '../cluster/redis-space/wakeups.js';
import { Logger } from '../node/logger.js';
import { PlexNode } from '../node/plex-node.js';
import { builtActorWasm } from '../runtime/built-actors.js';
import { OPEN } from '../server/auth.js';
import { NodeServer } from '../server/node-server.js';
import { matmulOverShards, SGEMM_TILES_MODULE, sgemmTilesWasm, type MatmulOverShardsResult } from '../kernels/matmul-over-shards.js';
import { NBODY_SLICES_MODULE, nbodyOverShards, type NbodyOverShardsResult } from '../kernels/nbody-over-shards.js';
import { ShardGroup } from '../shard/shard-group.js';
import type { Space } from '../space/space.js';

/**
 * One node process of `plexspaces bench cluster` (cluster-suite.ts forks
 * two): a real `PlexNode` joined to the bench's Redis the way `start
 * --cluster` builds it, whose shared space the suite drives over IPC — and,
 * for the baseline, a plain ioredis client using the same Redis as a work
 * queue. Each command answers with its own measurement and check.
 */

export type WorkerCommand =
  | { op: 'produce'; kind: 'space' | 'queue'; key: string; n: number; depth: number }
  | { op: 'consume'; kind: 'space' | 'queue'; key: string; n: number; depth: number }
  | { op: 'ping' | 'pong'; kind: 'space' | 'queue'; key: string; rounds: number }
  /** Asks `inc` of actor `actor` n times, `depth` in flight, through this node's actor calls (the actor may run on the other node). */
  | { op: 'ask'; actor: string; n: number; depth: number }
  /** The actor's count (`get`): the suite's check that every ask was handled once. */
  | { op: 'count'; actor: string }
  /** A pinger actor on this node sends `total` `add1` messages to runtime id `target` with its own host calls, `burst` per ask. */
  | { op: 'fire'; target: string; total: number; burst: number }
  /**
   * Scatter-gathers of `barrier` over a group of `shards` task shards, one at a time: spread over the
   * cluster's nodes (`spread`) or all on this node's worker; each gather checks every shard echoed its round.
   */
  | { op: 'gather'; shards: number; rounds: number; warmUp: number; spread: boolean }
  /** C = A·B (n×n float32) over `sgemm-tiles` shards: one per node of the cluster (`spread`), or one on this node. */
  | { op: 'sgemm'; n: number; spread: boolean }
  /** The cold-sphere n-body over `nbody-slices` shards: one per node (`spread`), or one on this node. */
  | { op: 'nbody'; bodies: number; steps: number; spread: boolean }
  | { op: 'exit' };

export type WorkerReply =
  | { ok: true; seconds?: number; samples?: number[]; received?: number; count?: number; nodes?: string[]; wrong?: number; matmul?: MatmulOverShardsResult; nbody?: NbodyOverShardsResult }
  | { ok: false; error: string };

const url = process.argv[2];
const redis = await connectRedis([url]);
const wakeups = await RedisWakeups.open(redis);
const node = new PlexNode({ dataDir: null, workers: 1, cluster: redis, sharedSpaces: new RedisSpaceCatalog(redis, wakeups) });
// The node's actor surface, as `start --cluster` with a secret builds it: a
// server (for the node links), the registry, the directory and the links. The
// AssemblyScript counter is deployed as an application; an actor of it runs on
// the first node that asks for it.
const server = new NodeServer(node, { httpPort: 0, grpcPort: 0 });
await server.listen();
const member = await joinCluster(redis, server.service.membership, { redis: [url], heartbeatTtlMs: 10_000 }, new Logger('warn', { component: 'bench' }), node.actors.coordination);
const clusterActors = startClusterActors({ client: redis, registry: member.registry, secret: 'the bench cluster secret', service: server.service, ws: server.ws });
const scope = server.service.scope(OPEN, 'default', 'default');
await server.service.deploy(scope, 'bench-counter', 'bench-counter', '1.0.0', builtActorWasm('counter'), { durable: false });
// The sender of the actor-to-actor rows: an AssemblyScript actor whose `fire` makes that many `send` host calls.
await node.runtime.deploy('bench-pinger', builtActorWasm('pinger'));
// The shards of the scatter-gather rows (binary barrier echo), on both nodes: a group spreads them over the cluster.
await node.runtime.deploy('bench-task-shard', builtActorWasm('task-shard'));
// The SGEMM rows' shards: operands as message bytes (B once per shard, then row blocks), 256 MiB for n up to 4096.
await node.runtime.deploy(SGEMM_TILES_MODULE, sgemmTilesWasm(), { watchdog: false, maxMemoryMb: 256 });
await node.runtime.deploy(NBODY_SLICES_MODULE, builtActorWasm('nbody-slices'), { watchdog: false, maxMemoryMb: 256 });
const pinger = await node.actors.spawn('bench-pinger');
// The queue baseline's blocking pops each need a connection of their own, as BRPOP workers have.
const poppers: RedisClient[] = [];
const popper = async (i: number) => (poppers[i] ??= await connectRedis([url]));

const space = (key: string): Space => {
  const [tenant, namespace, name] = key.split('/');
  return node.spaces.open({ tenant, namespace, name });
};

async function lanes(depth: number, n: number, each: (i: number, lane: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: depth }, async (_, lane) => {
      while (next < n) await each(next++, lane);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function run(command: Exclude<WorkerCommand, { op: 'exit' }>): Promise<WorkerReply> {
  if (command.op === 'produce') {
    const { key, n, depth } = command;
    const seconds = command.kind === 'space' ? await lanes(depth, n, (i) => space(key).write(['job', i])) : await lanes(depth, n, async (i) => void (await redis.lpush(key, String(i))));
    return { ok: true, seconds };
  }
  if (command.op === 'consume') {
    const { key, n, depth } = command;
    const seen = new Uint8Array(n);
    const seconds =
      command.kind === 'space'
        ? await lanes(depth, n, async () => {
            const got = (await space(key).take(['job', null], { timeoutMs: 30_000 })) as [string, number] | null;
            if (got === null) throw new Error('a take timed out');
            seen[got[1]]++;
          })
        : await lanes(depth, n, async (_, lane) => {
            const got = await (await popper(lane)).brpop(key, 30);
            if (got === null) throw new Error('a BRPOP timed out');
            seen[Number(got[1])]++;
          });
    const wrong = seen.filter((c) => c !== 1).length;
    if (wrong !== 0) throw new Error(`${wrong} of ${n} values not received exactly once`);
    return { ok: true, seconds, received: n };
  }
  if (command.op === 'fire') {
    const started = performance.now();
    for (let sent = 0; sent < command.total; sent += command.burst) await node.actors.ask(pinger, 'fire', `${command.target}\n${Math.min(command.burst, command.total - sent)}`);
    return { ok: true, seconds: (performance.now() - started) / 1000 };
  }
  if (command.op === 'sgemm' || command.op === 'nbody') {
    const module = command.op === 'sgemm' ? SGEMM_TILES_MODULE : NBODY_SLICES_MODULE;
    const options = { id: `bench-${command.op}-${command.spread ? 'spread' : 'local'}`, module, codec: 'bytes' as const, stateless: true };
    // One shard per node (each has one worker), or one here.
    const shards = command.spread ? server.service.membership.clustered!.nodes().length : 1;
    const group = command.spread ? await node.shardGroups.create({ ...options, shards }) : await ShardGroup.create(node.runtime, { ...options, shards });
    const self = node.identity.id;
    try {
      // Warm-up: V8 optimizes a kernel that has been hot for a while, and a call already running never switches.
      if (command.op === 'sgemm') {
        for (let i = 0; i < 20; i++) await matmulOverShards(group, { n: 64, self });
        return { ok: true, matmul: await matmulOverShards(group, { n: command.n, self }) };
      }
      await nbodyOverShards(group, { bodies: 512, steps: 30, self });
      return { ok: true, nbody: await nbodyOverShards(group, { bodies: command.bodies, steps: command.steps, self }) };
    } finally {
      if (command.spread) await node.shardGroups.delete(group.id);
      else await group.delete();
    }
  }
  if (command.op === 'gather') {
    const options = { id: `bench-gather-${command.spread ? 'spread' : 'local'}`, module: 'bench-task-shard', shards: command.shards, codec: 'bytes' as const, stateless: true };
    const group = command.spread ? await node.shardGroups.create(options) : await ShardGroup.create(node.runtime, options);
    try {
      const samples: number[] = [];
      let wrong = 0;
      const round = new Uint8Array(4);
      for (let i = 0; i < command.warmUp + command.rounds; i++) {
        new DataView(round.buffer).setUint32(0, i, true);
        const started = performance.now();
        const result = await group.scatterGather('barrier', round, { aggregate: 'concat' });
        if (i >= command.warmUp) samples.push(performance.now() - started);
        const answers = result.value as Uint8Array[];
        if (!result.satisfied || answers.length !== command.shards || answers.some((a) => a.byteLength !== 4 || new DataView(a.buffer, a.byteOffset, 4).getUint32(0, true) !== i)) wrong++;
      }
      return { ok: true, samples, wrong, nodes: group.shardNodes.map((n) => n ?? 'here') };
    } finally {
      if (command.spread) await node.shardGroups.delete(group.id);
      else await group.delete();
    }
  }
  if (command.op === 'ask' || command.op === 'count') {
    if (command.op === 'count') return { ok: true, count: Number(await server.service.ask(scope, command.actor, 'get', null)) };
    const samples: number[] = [];
    const seconds = await lanes(command.depth, command.n, async () => {
      const started = performance.now();
      await server.service.ask(scope, command.actor, 'inc', 1);
      samples.push(performance.now() - started);
    });
    return { ok: true, seconds, samples };
  }
  // Ping-pong: the pinger writes ping i and waits for pong i; the ponger answers each ping. A round trip is two wake-ups across processes, so no clocks need to agree.
  const { key, rounds } = command;
  const samples: number[] = [];
  const pop = await popper(0);
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    if (command.kind === 'space') {
      const s = space(key);
      if (command.op === 'ping') await s.write(['ping', i]);
      const got = (await s.take([command.op === 'ping' ? 'pong' : 'ping', i], { timeoutMs: 30_000 })) as [string, number] | null;
      if (got?.[1] !== i) throw new Error(`round ${i} got ${String(got)}`);
      if (command.op === 'pong') await s.write(['pong', i]);
    } else {
      if (command.op === 'ping') await redis.lpush(`${key}:ping`, String(i));
      const got = await pop.brpop(command.op === 'ping' ? `${key}:pong` : `${key}:ping`, 30);
      if (got?.[1] !== String(i)) throw new Error(`round ${i} got ${String(got)}`);
      if (command.op === 'pong') await redis.lpush(`${key}:pong`, String(i));
    }
    if (command.op === 'ping') samples.push(performance.now() - started);
  }
  return { ok: true, samples };
}

process.on('message', (command: WorkerCommand) => {
  if (command.op === 'exit') {
    void (async () => {
      await member.leave();
      await server.close();
      await node.stop();
      await clusterActors.close();
      await wakeups.close();
      for (const p of poppers) p.disconnect();
      redis.disconnect();
      process.exit(0);
    })();
    return;
  }
  run(command).then(
    (reply) => process.send!(reply),
    (error: Error) => process.send!({ ok: false, error: error.message } satisfies WorkerReply),
  );
});
process.send!({ ok: true } satisfies WorkerReply);
