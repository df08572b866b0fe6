/**
 * Label values for Prometheus series. prom-client keeps every series it has
 * seen until the process ends, so a label whose values come from outside
 * (a client's op name, a tenant's supervisor id) must be cut down to a set
 * of known size before it reaches a metric.
 */

/**
 * What the values past a bound are counted under. Parentheses are in no
 * tenant, namespace, space or actor name (checkId), so it cannot be mistaken
 * for one, nor show up in a tenant's filtered view of /metrics.
 */
export const OTHER = '(other)';

/** A closed set: a value outside it is `unknown`. */
export class FixedLabel {
  private readonly values: ReadonlySet<string>;

  constructor(values: Iterable<string>) {
    this.values = new Set(values);
  }

  of(value: string): string {
    return this.values.has(value) ? value : 'unknown';
  }
}

/**
 * The first `max` distinct values are kept as they are; any value after
 * that is `(other)`. For sets that are finite by construction but not known in
 * advance: the bound is what keeps a mistake (or a tenant) from exhausting memory.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}
