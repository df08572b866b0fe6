import { DEFAULT_TUPLE_LIMITS } from '../tuple/limits.js';
import { compileTemplate } from '../tuple/template.js';
import type { Template, Tuple } from '../tuple/types.js';
import { acceptTuple } from '../tuple/validate-tuple.js';

/**
 * The naive tuple space: one array, every lookup a scan from the oldest
 * tuple. Same validation and matcher as `TupleSpace`, no index. It is the
 * baseline of `plexspaces bench tuplespace` — what Rinda and the Rust
 * PlexSpaces backends do — and not part of the public API.
 */
export class LinearScanSpace {
  private tuples: Tuple[] = [];

  get size(): number {
    return this.tuples.length;
  }

  write(tuple: Tuple): void {
    this.tuples.push(acceptTuple(tuple, DEFAULT_TUPLE_LIMITS).tuple);
  }

  tryRead(template: Template): Tuple | null {
    const compiled = compileTemplate(template, DEFAULT_TUPLE_LIMITS);
    return this.tuples.find((t) => compiled.matches(t)) ?? null;
  }

  tryTake(template: Template): Tuple | null {
    const compiled = compileTemplate(template, DEFAULT_TUPLE_LIMITS);
    const i = this.tuples.findIndex((t) => compiled.matches(t));
    if (i < 0) return null;
    return this.tuples.splice(i, 1)[0];
  }
}
