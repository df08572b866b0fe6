/**
 * What remote clients do to each space, for the dashboard's Spaces page:
 * tuples written and taken over the last minute, and the template shapes
 * they read and take with, counted. Only operations that come through the
 * node's surfaces (HTTP, websocket, gRPC) are seen here; an actor's host
 * calls go to the space directly and are not counted.
 *
 * Bounded on both axes, since space names and templates come from clients:
 * at most `MAX_SPACES` spaces (the least recently used one is forgotten) and
 * `MAX_SHAPES` shapes per space (a new shape past it is not counted).
 */
export const MAX_SPACES = 1000;
export const MAX_SHAPES = 32;
/** Seconds the write and take rates look back over. */
export const RATE_WINDOW_SECONDS = 60;

interface Activity {
  /** Per second of the window (ring indexed by epoch second % window): [second, writes, takes]. */
  readonly ring: [number, number, number][];
  readonly shapes: Map<string, number>;
}

export interface SpaceActivitySummary {
  /** Tuples written / taken per second, averaged over the last `RATE_WINDOW_SECONDS` s. */
  readonly writesPerSecond: number;
  readonly takesPerSecond: number;
  /** Tuples written / taken over that window. */
  readonly writes: number;
  readonly takes: number;
  /** The most used template shapes, most used first (at most 5). */
  readonly shapes: { readonly shape: string; readonly count: number }[];
}

export class SpaceActivity {
  private readonly spaces = new Map<string, Activity>();

  constructor(private readonly now: () => number = Date.now) {}

  wrote(tenant: string, namespace: string, space: string, tuples: number): void {
    this.bump(this.activity(tenant, namespace, space), 1, tuples);
  }

  took(tenant: string, namespace: string, space: string, tuples: number): void {
    this.bump(this.activity(tenant, namespace, space), 2, tuples);
  }

  /** Counts one read or take with `template` (its JSON form). */
  matched(tenant: string, namespace: string, space: string, template: unknown): void {
    if (!Array.isArray(template)) return;
    const { shapes } = this.activity(tenant, namespace, space);
    const shape = shapeOf(template);
    const count = shapes.get(shape);
    if (count !== undefined) shapes.set(shape, count + 1);
    else if (shapes.size < MAX_SHAPES) shapes.set(shape, 1);
  }

  summary(tenant: string, namespace: string, space: string): SpaceActivitySummary {
    const activity = this.spaces.get(key(tenant, namespace, space));
    const since = Math.floor(this.now() / 1000) - RATE_WINDOW_SECONDS;
    let writes = 0;
    let takes = 0;
    // The ring is sparse (a slot is made on its first write): holes are skipped.
    for (const cell of activity?.ring ?? []) {
      if (cell === undefined || cell[0] <= since) continue;
      writes += cell[1];
      takes += cell[2];
    }
    const shapes = [...(activity?.shapes ?? new Map<string, number>())].map(([shape, count]) => ({ shape, count })).sort((a, b) => b.count - a.count).slice(0, 5);
    return { writes, takes, writesPerSecond: round(writes / RATE_WINDOW_SECONDS), takesPerSecond: round(takes / RATE_WINDOW_SECONDS), shapes };
  }

  private activity(tenant: string, namespace: string, space: string): Activity {
    const k = key(tenant, namespace, space);
    let activity = this.spaces.get(k);
    if (activity !== undefined) {
      // Re-inserted: a Map iterates in insertion order, so the first key is the least recently used.
      this.spaces.delete(k);
    } else {
      activity = { ring: [], shapes: new Map() };
      if (this.spaces.size >= MAX_SPACES) this.spaces.delete(this.spaces.keys().next().value!);
    }
    this.spaces.set(k, activity);
    return activity;
  }

  private bump(activity: Activity, column: 1 | 2, tuples: number): void {
    const second = Math.floor(this.now() / 1000);
    const slot = second % RATE_WINDOW_SECONDS;
    let cell = activity.ring[slot];
    if (cell === undefined || cell[0] !== second) activity.ring[slot] = cell = [second, 0, 0];
    cell[column] += tuples;
  }
}

const key = (tenant: string, namespace: string, space: string) => `${tenant}/${namespace}/${space}`;
const round = (n: number) => Math.round(n * 100) / 100;

/**
 * A template's shape: short string literals as they are (they are usually
 * tags such as "order"), other literals by their type, wildcards as `_`, so
 * `["order", 7, null]` and `["order", 8, null]` count as one shape.
 */
export function shapeOf(template: readonly unknown[]): string {
  const fields = template.map((field) => {
    if (field === null) return '_';
    if (typeof field === 'string') return field.length <= 32 ? JSON.stringify(field) : 'string';
    if (typeof field === 'object') {
      const keys = Object.keys(field);
      if (keys.length === 1 && keys[0].startsWith('$')) return keys[0] === '$type' ? `?${String((field as Record<string, unknown>).$type)}` : keys[0].slice(1);
      return Array.isArray(field) ? 'array' : 'object';
    }
    return typeof field;
  });
  return `[${fields.join(', ')}]`;
}
