import { any } from '../../src/tuple/types.js';

/**
 * The oracle for property tests: an array scanned from the oldest tuple, and
 * a matcher that interprets templates directly from DESIGN.md §3, sharing no
 * code with the engine's compiled matcher or index.
 */
export class ReferenceSpace {
  tuples: unknown[][] = [];

  write(tuple: unknown[]): void {
    this.tuples.push(withoutNegativeZero(tuple) as unknown[]);
  }

  readAll(template: unknown[], limit = Infinity): unknown[][] {
    return this.tuples.filter((t) => referenceMatch(template, t)).slice(0, limit);
  }

  takeAll(template: unknown[], limit = Infinity): unknown[][] {
    const out = this.readAll(template, limit);
    this.tuples = this.tuples.filter((t) => !out.includes(t));
    return out;
  }

  tryRead(template: unknown[]): unknown[] | null {
    return this.tuples.find((t) => referenceMatch(template, t)) ?? null;
  }

  tryTake(template: unknown[]): unknown[] | null {
    const i = this.tuples.findIndex((t) => referenceMatch(template, t));
    return i < 0 ? null : this.tuples.splice(i, 1)[0];
  }
}

export function referenceMatch(template: unknown[], tuple: unknown): boolean {
  return Array.isArray(tuple) && tuple.length === template.length && template.every((p, i) => positionMatch(p, tuple[i]));
}

function positionMatch(p: unknown, f: unknown): boolean {
  if (p === null || p === any) return true;
  if (Array.isArray(p)) return referenceMatch(p, f);
  if (isOperator(p)) {
    const op = p as Record<string, unknown>;
    if ('$eq' in op) return deepEqual(op.$eq, f);
    if ('$in' in op) return (op.$in as unknown[]).some((v) => deepEqual(v, f));
    if ('$prefix' in op) return typeof f === 'string' && f.startsWith(op.$prefix as string);
    if ('$type' in op) return typeName(f) === op.$type;
    const bound = op.$gt ?? op.$gte ?? op.$lt ?? op.$lte;
    if (typeof f !== typeof bound) return false;
    const v = f as number;
    return (
      (op.$gt === undefined || v > (op.$gt as number)) &&
      (op.$gte === undefined || v >= (op.$gte as number)) &&
      (op.$lt === undefined || v < (op.$lt as number)) &&
      (op.$lte === undefined || v <= (op.$lte as number))
    );
  }
  return deepEqual(p, f);
}

function isOperator(p: unknown): boolean {
  return typeof p === 'object' && p !== null && !(p instanceof Uint8Array) && Object.keys(p).some((k) => k.startsWith('$'));
}

function typeName(f: unknown): string {
  if (f === null) return 'null';
  if (typeof f === 'bigint') return 'int';
  if (typeof f === 'boolean') return 'bool';
  if (f instanceof Uint8Array) return 'bytes';
  if (Array.isArray(f)) return 'array';
  return typeof f;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual((a as never)[k], (b as never)[k]));
}

/** The contract stores -0 as 0 (DESIGN.md §3 equality is SameValueZero). */
export function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]));
  }
  return value;
}
