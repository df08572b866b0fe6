import type { RedisClient } from '../redis-client.js';
import { SPACE_SCRIPTS } from './scripts/space-scripts.js';

type Reply = unknown;

/** A crash-safe take's lease and holder ('' for none). */
export interface AckArgs {
  readonly leaseMs: number;
  readonly holder: string | undefined;
}
// ioredis flattens array arguments: a batch goes as one array, never spread (a spread of 10^5 overflows the stack).
type ScriptFn = (key: string, ...args: (string | number | Buffer | readonly (string | Buffer)[])[]) => Promise<Reply>;

/**
 * The space scripts bound to a connection. ioredis sends a script's source
 * once per connection and EVALSHA after (re-sending the source after a
 * NOSCRIPT, e.g. when Redis restarted); replies come back as Buffers, since
 * tuples are bytes.
 */
export class SpaceScripts {
  private static readonly bound = new WeakMap<RedisClient, SpaceScripts>();

  private constructor(private readonly redis: RedisClient) {
    for (const [name, lua] of Object.entries(SPACE_SCRIPTS)) {
      if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, { lua, numberOfKeys: 1 });
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

  release(base: string, holder: string): Promise<Reply> {
    return this.fn('plexSpaceRelease')(base, holder);
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

  private fn(name: keyof typeof SPACE_SCRIPTS): ScriptFn {
    const method = (this.redis as unknown as Record<string, ScriptFn>)[`${name}Buffer`];
    return method.bind(this.redis);
  }
}
