import { Cluster, Command } from 'ioredis';
import type { RedisClient } from '../redis-client.js';
import { SPACE_FUNCTION_LIBRARY, spaceEvalScript, spaceFunctionName } from './scripts/space-library.js';
import { SPACE_SCRIPTS, type SpaceScriptName } from './scripts/space-scripts.js';

type Reply = unknown;

/** Calls with more arguments than this skip auto-pipelining (see fcall). */
const SPREAD_LIMIT = 256;

/** A crash-safe take's lease and holder ('' for none). */
export interface AckArgs {
  readonly leaseMs: number;
  readonly holder: string | undefined;
}
// ioredis flattens array arguments: a batch goes as one array, never spread (a spread of 10^5 overflows the stack).
type ScriptArg = string | number | Buffer | readonly (string | Buffer)[];
type ScriptFn = (key: string, ...args: ScriptArg[]) => Promise<Reply>;

/** How this connection's server runs the scripts: Redis Functions (7 and later) or EVALSHA. */
type Mode = 'functions' | 'eval';

/** Replies of a server that does not have (this version of) the library: load it and try once more. */
const MISSING_LIBRARY = /Function not found|ERR Library/i;

/**
 * The space scripts bound to a connection; replies come back as Buffers,
 * since tuples are bytes. On Redis 7 and later they run as the `plexspace`
 * Functions library (space-library.ts): loaded on first use when the server
 * lacks it (a new server, one restarted without persistence, a new cluster
 * master), on every master of a Redis Cluster, then the call is tried once
 * more. An older server runs them by EVALSHA: ioredis sends a script's
 * source once per connection (again after a NOSCRIPT).
 */
export class SpaceScripts {
  private static readonly bound = new WeakMap<RedisClient, SpaceScripts>();
  /** Asked once per connection (again only if asking failed). */
  private mode: Promise<Mode> | undefined;
  /** A FUNCTION LOAD under way: the calls that found no library wait for the same one. */
  private loading: Promise<void> | undefined;

  private constructor(private readonly redis: RedisClient) {
    // The EVAL form (servers before Redis 7) keeps going one call at a
    // time, as it always did: ioredis 6's auto-pipelining mishandles some
    // call shapes (callBuffer, redis-client.ts) and the scripts' EVALSHA
    // fallback inside a pipeline is not something the tests can reach on
    // the Redis 7 they run.
    const ignored = (redis.options as { autoPipeliningIgnoredCommands?: string[] }).autoPipeliningIgnoredCommands;
    if (ignored !== undefined) for (const name of Object.keys(SPACE_SCRIPTS)) ignored.push(name);
    for (const name of Object.keys(SPACE_SCRIPTS) as SpaceScriptName[]) {
      if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, { lua: spaceEvalScript(name), numberOfKeys: 1 });
    }
  }

  static on(redis: RedisClient): SpaceScripts {
    let scripts = SpaceScripts.bound.get(redis);
    if (scripts === undefined) {
      scripts = new SpaceScripts(redis);
      SpaceScripts.bound.set(redis, scripts);
    }
    return scripts;
  }

  write(base: string, count: number, args: readonly (Buffer | string)[]): Promise<Reply> {
    return this.fn('plexSpaceWrite')(base, count, args);
  }

  find(base: string, program: Buffer, mode: 'read' | 'take' | 'count' | 'atake', limit: number, ack?: AckArgs, node = ''): Promise<Reply> {
    return this.fn('plexSpaceFind')(base, program, mode, limit, ack === undefined ? '' : String(ack.leaseMs), ack?.holder ?? '', node);
  }

  block(base: string, program: Buffer, kind: 'r' | 't', waiterId: string, node: string, livenessMs: number, ack: AckArgs | undefined): Promise<Reply> {
    return this.fn('plexSpaceBlock')(base, program, kind, waiterId, node, livenessMs, ack === undefined ? '' : String(ack.leaseMs), ack?.holder ?? '');
  }

  settle(base: string, mode: 'ack' | 'nack' | 'lapse', deliveryId: string): Promise<Reply> {
    return this.fn('plexSpaceSettle')(base, mode, deliveryId);
  }

  /** Acks a delivery and writes `count` tuples (record, ttl pairs as for `write`) in one script. */
  ackWrite(base: string, deliveryId: string, count: number, args: readonly (Buffer | string)[]): Promise<Reply> {
    return this.fn('plexSpaceSettle')(base, 'ackwrite', deliveryId, count, args);
  }

  release(base: string, holder: string): Promise<Reply> {
    return this.fn('plexSpaceRelease')(base, holder);
  }

  held(base: string, holder: string): Promise<Reply> {
    return this.fn('plexSpaceHeld')(base, holder);
  }

  releaseNode(base: string, node: string): Promise<Reply> {
    return this.fn('plexSpaceReleaseNode')(base, node);
  }

  tick(base: string): Promise<Reply> {
    return this.fn('plexSpaceTick')(base);
  }

  configure(base: string, maxDeliveries: number, quota: { maxTuples?: number; maxBytes?: number; maxWaiters?: number } = {}): Promise<Reply> {
    const bound = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '' : String(n));
    return this.fn('plexSpaceConfigure')(base, maxDeliveries, bound(quota.maxTuples), bound(quota.maxBytes), bound(quota.maxWaiters));
  }

  leave(base: string, mode: 'timeout' | 'abort' | 'claim', waiterIds: readonly string[]): Promise<Reply> {
    return this.fn('plexSpaceLeave')(base, mode, waiterIds);
  }

  renew(base: string, node: string, livenessMs: number, watching: boolean): Promise<Reply> {
    return this.fn('plexSpaceRenew')(base, node, livenessMs, watching ? '1' : '0');
  }

  mark(base: string, token: string): Promise<Reply> {
    return this.fn('plexSpaceMark')(base, token);
  }

  watch(base: string, livenessMs: number, program: Buffer | undefined): Promise<Reply> {
    return this.fn('plexSpaceWatch')(base, livenessMs, program ?? '');
  }

  /** The transaction script (transaction-lua.ts); `args` is everything after the key, flat. */
  transaction(base: string, args: readonly (string | Buffer)[]): Promise<Reply> {
    return this.fn('plexSpaceTransaction')(base, args);
  }

  private fn(name: SpaceScriptName): ScriptFn {
    return (key, ...args) => this.run(name, key, args);
  }

  private async run(name: SpaceScriptName, key: string, args: ScriptArg[]): Promise<Reply> {
    if ((await this.serverMode()) === 'eval') {
      const method = (this.redis as unknown as Record<string, ScriptFn>)[`${name}Buffer`];
      return method.call(this.redis, key, ...args);
    }
    try {
      return await this.fcall(name, key, args);
    } catch (error) {
      // Nothing ran: the server answered before looking at the space.
      if (!MISSING_LIBRARY.test(String((error as Error)?.message))) throw error;
      await this.loadLibrary();
      return this.fcall(name, key, args);
    }
  }

  private fcall(name: SpaceScriptName, key: string, args: ScriptArg[]): Promise<Reply> {
    const flat = [spaceFunctionName(name), '1', key, ...args].flat() as (string | Buffer)[];
    // Short calls go through ioredis's command method, so that auto-pipelining
    // (redis-client.ts) writes the calls of one event-loop turn to the socket
    // together; a batch goes as a Command, whose arguments are not spread (a
    // spread of 10^5 overflows the stack).
    if (flat.length <= SPREAD_LIMIT) return (this.redis as unknown as { fcallBuffer(...args: (string | Buffer)[]): Promise<Reply> }).fcallBuffer(...flat);
    return this.redis.sendCommand(new Command('fcall', flat, { replyEncoding: null })) as Promise<Reply>;
  }

  private serverMode(): Promise<Mode> {
    if (this.mode === undefined) {
      const asked = this.redis.info('server').then((info) => (Number(/redis_version:(\d+)/.exec(info)?.[1] ?? 0) >= 7 ? 'functions' : 'eval') as Mode);
      asked.catch(() => {
        if (this.mode === asked) this.mode = undefined;
      });
      this.mode = asked;
    }
    return this.mode;
  }

  /** FUNCTION LOAD REPLACE on the server, or on every master of a Cluster (each holds some spaces). */
  private loadLibrary(): Promise<void> {
    if (this.loading === undefined) {
      const load = async () => {
        const targets = this.redis instanceof Cluster ? this.redis.nodes('master') : [this.redis];
        // A master that is down (mid-failover) is skipped: the retried call reports what still fails.
        const loads = await Promise.allSettled(targets.map((node) => node.call('FUNCTION', 'LOAD', 'REPLACE', SPACE_FUNCTION_LIBRARY)));
        const failed = loads.find((load): load is PromiseRejectedResult => load.status === 'rejected');
        if (failed !== undefined && loads.every((load) => load.status === 'rejected')) throw failed.reason;
      };
      this.loading = load().finally(() => {
        this.loading = undefined;
      });
    }
    return this.loading;
  }
}
