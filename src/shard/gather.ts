import { InvalidArgumentError, shown } from '../errors.js';

/** One shard's answer to a collective operation. */
export interface ShardResult<T = unknown> {
  readonly shard: number;
  readonly actorId: string;
  readonly status: 'ok' | 'error' | 'timeout';
  readonly latencyMs: number;
  /** The parsed JSON reply when `status` is `ok`. */
  readonly value?: T;
  /** The error code when `status` is `error` (e.g. PLEX_ERR_ACTOR_TRAPPED). */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** The node that ran the shard, when its group's host says (a node's groups: always). */
  readonly node?: string;
}

/**
 * How `scatterGather` combines the `ok` answers:
 * - `concat`: arrays concatenated in shard order (non-arrays kept as items);
 * - `merge`: objects merged key by key in shard order (later shards win);
 * - `first`: the first answer to arrive;
 * - `majority`: the value more than half of the answering shards gave
 *   (compared as canonical JSON), or `undefined` with no majority;
 * - a function: your reducer over the answers, in shard order.
 */
export type AggregateStrategy = 'concat' | 'merge' | 'first' | 'majority' | ((values: unknown[]) => unknown);

/** Operators of `reduce` over a numeric or boolean value at `path` in each answer. */
export type ReduceOp = 'sum' | 'min' | 'max' | 'product' | 'concat' | 'and' | 'or';

export function aggregate(strategy: AggregateStrategy, okInShardOrder: ShardResult[], firstArrived: ShardResult | undefined): unknown {
  const values = okInShardOrder.map((r) => r.value);
  if (typeof strategy === 'function') return strategy(values);
  switch (strategy) {
    case 'concat':
      return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
    case 'merge':
      return Object.assign({}, ...values.filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v)));
    case 'first':
      return firstArrived?.value;
    case 'majority': {
      const tally = new Map<string, { count: number; value: unknown }>();
      for (const v of values) {
        const key = canonicalJson(v);
        const entry = tally.get(key) ?? { count: 0, value: v };
        entry.count++;
        tally.set(key, entry);
      }
      for (const { count, value } of tally.values()) if (count * 2 > values.length) return value;
      return undefined;
    }
    default:
      throw new InvalidArgumentError(`unknown aggregation ${String(strategy)} (concat, merge, first, majority or a function)`);
  }
}

/** Reads `path` ("a.b.0.c") from a JSON value. */
export function valueAt(value: unknown, path: string | undefined): unknown {
  if (path === undefined || path === '') return value;
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function reduceValues(op: ReduceOp, values: unknown[]): unknown {
  switch (op) {
    case 'sum':
      return numbers(op, values).reduce((a, b) => a + b, 0);
    case 'product':
      return numbers(op, values).reduce((a, b) => a * b, 1);
    case 'min':
      return values.length === 0 ? undefined : Math.min(...numbers(op, values));
    case 'max':
      return values.length === 0 ? undefined : Math.max(...numbers(op, values));
    case 'concat':
      return values.flatMap((v) => (Array.isArray(v) ? v : [v]));
    case 'and':
      return booleans(op, values).every(Boolean);
    case 'or':
      return booleans(op, values).some(Boolean);
    default:
      throw new InvalidArgumentError(`unknown reduce op ${String(op)} (sum, min, max, product, concat, and, or)`);
  }
}

function numbers(op: string, values: unknown[]): number[] {
  return values.map((v, i) => {
    if (typeof v !== 'number') throw new InvalidArgumentError(`reduce ${op}: answer ${i} has ${shown(v)} at the path, not a number`);
    return v;
  });
}

function booleans(op: string, values: unknown[]): boolean[] {
  return values.map((v, i) => {
    if (typeof v !== 'boolean') throw new InvalidArgumentError(`reduce ${op}: answer ${i} has ${shown(v)} at the path, not a boolean`);
    return v;
  });
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
