/**
 * NodeService's tuple-space operations (SpaceCalls), and the JSON form of
 * tuples and the wait bound that every remote surface shares with them.
 */
import { InvalidArgumentError } from '../errors.js';
import type { PlexNode } from '../node/plex-node.js';
import type { Space } from '../space/space.js';
import { SharedDeliveryIds } from '../cluster/redis-space/shared-delivery-ids.js';
import { RemoteDeliveries } from './remote-deliveries.js';
import type { SpaceActivity } from './space-activity.js';
import type { Scope } from './node-service.js';
import { activeTupleFromJson } from '../space/linda-eval.js';
import { fromJsonValue, toJsonValue } from '../tuple/json.js';
import type { Field, Template, Tuple } from '../tuple/types.js';
import { checkDuration } from '../util/duration.js';

/** Longest a blocking read/take may wait when a remote caller asks (it can always retry). */
export const MAX_REMOTE_WAIT_MS = 5 * 60_000;

/** A tuple in its JSON form (int64 as {"$int"}, bytes as {"$bytes"}). */
export function tupleJson(tuple: Tuple | null): unknown[] | null {
  return tuple === null ? null : tuple.map((field) => toJsonValue(field as Field));
}

function tupleFromJson(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${what} must be a JSON array, got ${value === null ? 'null' : typeof value}`);
  return fromJsonValue(value) as unknown[];
}

function waitMs(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  // Validated first (Infinity, "1e999" → Infinity, negatives are refused), then clamped.
  return Math.min(checkDuration('timeoutMs', value), MAX_REMOTE_WAIT_MS);
}

/**
 * The tuple-space operations of NodeService (which checks every scope
 * before it calls here): writes, reads, takes and their crash-safe
 * deliveries, counts and watches, with JSON-form tuples and templates.
 */
export class SpaceCalls {
  /** Crash-safe deliveries handed to remote clients by id (settled through any node of a cluster on a shared space). */
  private readonly deliveries: RemoteDeliveries;

  constructor(
    private readonly node: PlexNode,
    /** NodeService's check that it made the scope. */
    private readonly check: (scope: Scope) => Scope,
    /** Writes, takes and template shapes per space, for the dashboard's Spaces page (NodeService.spaceActivity). */
    private readonly spaceActivity: SpaceActivity,
  ) {
    this.deliveries = new RemoteDeliveries(node.cluster === undefined ? undefined : new SharedDeliveryIds(node.cluster), (scope, name) => this.space(scope, name));
  }

  space(scope: Scope, name: string): Space {
    this.check(scope);
    return this.node.spaces.open({ tenant: scope.tenant, namespace: scope.namespace, name });
  }

  async write(scope: Scope, space: string, tuple: unknown, ttlMs?: number): Promise<void> {
    this.check(scope);
    await this.space(scope, space).write(tupleFromJson(tuple, 'tuple') as Tuple, ttlMs === undefined ? undefined : { ttlMs });
    this.spaceActivity.wrote(scope.tenant, scope.namespace, space, 1);
  }

  async writeAll(scope: Scope, space: string, tuples: unknown): Promise<number> {
    this.check(scope);
    if (!Array.isArray(tuples)) throw new InvalidArgumentError('tuples must be an array of tuples');
    const parsed = tuples.map((t, i) => tupleFromJson(t, `tuples[${i}]`) as Tuple);
    await this.space(scope, space).writeAll(parsed);
    this.spaceActivity.wrote(scope.tenant, scope.namespace, space, parsed.length);
    return parsed.length;
  }

  async read(scope: Scope, space: string, template: unknown, options: { timeoutMs?: unknown; signal?: AbortSignal; take?: boolean } = {}): Promise<unknown[] | null> {
    this.check(scope);
    const t = tupleFromJson(template, 'template') as Template;
    const s = this.space(scope, space);
    const timeoutMs = waitMs(options.timeoutMs);
    const blocking = { timeoutMs: timeoutMs ?? 0, signal: options.signal };
    this.spaceActivity.matched(scope.tenant, scope.namespace, space, template);
    const found = options.take ? await s.take(t, blocking) : await s.read(t, blocking);
    if (options.take && found !== null) this.spaceActivity.took(scope.tenant, scope.namespace, space, 1);
    return tupleJson(found);
  }

  async readAll(scope: Scope, space: string, template: unknown, options: { take?: boolean; limit?: number } = {}): Promise<unknown[][]> {
    this.check(scope);
    const t = tupleFromJson(template, 'template') as Template;
    const s = this.space(scope, space);
    this.spaceActivity.matched(scope.tenant, scope.namespace, space, template);
    const found = options.take ? await s.takeAll(t, { limit: options.limit }) : await s.readAll(t, { limit: options.limit });
    if (options.take) this.spaceActivity.took(scope.tenant, scope.namespace, space, found.length);
    return found.map((tuple) => tupleJson(tuple)!);
  }

  /**
   * `takeAll` for a reply that may not reach its client: `settle(false)`
   * writes the taken tuples back (at the end of write order, as a nack
   * does; a tuple's remaining TTL is not kept), so a reply lost on the way
   * loses no tuple. `settle(true)` once the reply went out.
   */
  async takeAllForReply(scope: Scope, space: string, template: unknown, options: { limit?: number } = {}): Promise<{ tuples: unknown[][]; settle(delivered: boolean): Promise<void> }> {
    this.check(scope);
    const t = tupleFromJson(template, 'template') as Template;
    const s = this.space(scope, space);
    this.spaceActivity.matched(scope.tenant, scope.namespace, space, template);
    const taken = await s.takeAll(t, { limit: options.limit });
    this.spaceActivity.took(scope.tenant, scope.namespace, space, taken.length);
    return {
      tuples: taken.map((tuple) => tupleJson(tuple)!),
      settle: async (delivered) => {
        if (!delivered && taken.length > 0) await s.writeAll(taken).catch((error: unknown) => process.stderr.write(`plexspaces: ${taken.length} taken tuples of an undelivered reply could not be put back: ${(error as Error).message}\n`));
      },
    };
  }

  /**
   * A crash-safe take over the wire: the tuple is held under a lease until
   * `ack` (gone for good) or `nack` / lease end / `releaseHolder(holder)`
   * (back in the space for the next taker).
   */
  async takeWithAck(
    scope: Scope,
    space: string,
    template: unknown,
    options: { timeoutMs?: unknown; leaseMs?: number; holder: string; signal?: AbortSignal },
  ): Promise<{ tuple: unknown[]; deliveryId: string; deliveries: number; leaseExpiresAt: number } | null> {
    this.check(scope);
    const t = tupleFromJson(template, 'template') as Template;
    const timeoutMs = waitMs(options.timeoutMs) ?? 0;
    this.spaceActivity.matched(scope.tenant, scope.namespace, space, template);
    const delivery = await this.space(scope, space).take(t, { ack: true, leaseMs: options.leaseMs, holder: options.holder, timeoutMs, signal: options.signal });
    if (delivery === null) return null;
    this.spaceActivity.took(scope.tenant, scope.namespace, space, 1);
    const deliveryId = await this.deliveries.issue(scope, space, delivery, options.holder);
    return { tuple: tupleJson(delivery.tuple)!, deliveryId, deliveries: delivery.deliveries, leaseExpiresAt: delivery.leaseExpiresAt };
  }

  /**
   * A plain take whose answer must reach a caller that may be gone by then
   * (an HTTP client that hung up between the take and the reply). The tuple
   * is taken as a crash-safe delivery: `settle(true)` once the reply is out
   * consumes it; `settle(false)` puts it back for the next taker (at the
   * back of write order and one delivery older, as a nack does). The lease
   * is only a backstop for a reply that is never settled.
   */
  async takeForReply(
    scope: Scope,
    space: string,
    template: unknown,
    options: { timeoutMs?: unknown; signal?: AbortSignal },
  ): Promise<{ tuple: unknown[]; settle(delivered: boolean): Promise<void> } | null> {
    this.check(scope);
    const t = tupleFromJson(template, 'template') as Template;
    const timeoutMs = waitMs(options.timeoutMs) ?? 0;
    this.spaceActivity.matched(scope.tenant, scope.namespace, space, template);
    const delivery = await this.space(scope, space).take(t, { ack: true, leaseMs: MAX_REMOTE_WAIT_MS, timeoutMs, signal: options.signal });
    if (delivery === null) return null;
    this.spaceActivity.took(scope.tenant, scope.namespace, space, 1);
    return {
      tuple: tupleJson(delivery.tuple)!,
      // A lease that already ran out (or a closed space) has put the tuple back or kept it: nothing more to do.
      settle: (delivered) => (delivered ? delivery.ack() : delivery.nack()).catch(() => undefined),
    };
  }

  async settle(scope: Scope, deliveryId: unknown, outcome: 'ack' | 'nack'): Promise<void> {
    this.check(scope);
    await this.deliveries.settle(scope, deliveryId, outcome);
  }

  /** Returns every tuple `holder` still holds (a websocket that closed, a client that gave up). */
  releaseHolder(holder: string): Promise<number> {
    return this.deliveries.releaseHolder(holder);
  }

  /**
   * Linda's `eval` (src/space/linda-eval.ts): the tuple's `{"$eval": …}`
   * fields run in parallel on the worker pool, resolved in the caller's
   * tenant and namespace (another tenant's module or actor is refused);
   * the finished tuple is written once all have, and answered.
   */
  async eval(scope: Scope, space: string, tuple: unknown, options: { onError?: unknown; timeoutMs?: unknown; ttlMs?: unknown; signal?: AbortSignal } = {}): Promise<unknown[]> {
    this.check(scope);
    const active = activeTupleFromJson(tuple);
    if (options.onError !== undefined && options.onError !== 'value' && options.onError !== 'reject') throw new InvalidArgumentError(`onError must be "value" or "reject", got ${JSON.stringify(options.onError)}`);
    const timeoutMs = waitMs(options.timeoutMs);
    const ttlMs = options.ttlMs === undefined || options.ttlMs === null ? undefined : checkDuration('ttlMs', options.ttlMs);
    const written = await this.node.eval(this.space(scope, space), active, {
      caller: `${scope.tenant}/${scope.namespace}/eval`,
      onError: options.onError as 'value' | 'reject' | undefined,
      timeoutMs,
      ttlMs,
      signal: options.signal,
    });
    this.spaceActivity.wrote(scope.tenant, scope.namespace, space, 1);
    return tupleJson(written)!;
  }

  count(scope: Scope, space: string, template: unknown): Promise<number> {
    this.check(scope);
    return this.space(scope, space).count(tupleFromJson(template, 'template') as Template);
  }

  watch(scope: Scope, space: string, template: unknown) {
    this.check(scope);
    return this.space(scope, space).watch(tupleFromJson(template, 'template') as Template);
  }
}
