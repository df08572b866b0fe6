import { InvalidTemplateError, TupleTooLargeError, shown } from '../errors.js';
import { fieldsEqual } from './equality.js';
import { fieldKind, INT64_MAX, INT64_MIN, isPlainObject, type FieldKind } from './field-kind.js';
import { indexKey, type IndexKey } from './index-key.js';
import type { TupleLimits } from './limits.js';
import { any, FieldTypes, type Any, type Field, type Tuple } from './types.js';
import { acceptField, describe } from './validate-tuple.js';

/** A test of one field against one template position. */
export type FieldTest = (field: Field) => boolean;

/** A template position that the index can look up directly: one actual value. */
export interface KeyedPosition {
  readonly pos: number;
  readonly key: IndexKey;
}

/** A position constrained to a finite set of actual values (`$in`). */
export interface KeySetPosition {
  readonly pos: number;
  readonly keys: readonly IndexKey[];
}

/**
 * A template compiled once per operation. The index uses `keyed` and
 * `keySets` to pick candidate tuples; `matches` is the full test.
 */
export interface CompiledTemplate {
  readonly arity: number;
  readonly keyed: readonly KeyedPosition[];
  readonly keySets: readonly KeySetPosition[];
  /** How many positions are not wildcards. */
  readonly constrained: number;
  matches(tuple: Tuple): boolean;
}

type PositionPlan =
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'actual'; readonly value: Field }
  | { readonly kind: 'keySet'; readonly values: readonly Field[]; readonly keys: ReadonlySet<IndexKey> }
  | { readonly kind: 'predicate'; readonly test: FieldTest };

const RANGE_OPERATORS = new Set(['$gt', '$gte', '$lt', '$lte']);
const OPERATORS = new Set(['$type', '$eq', '$in', '$prefix', ...RANGE_OPERATORS]);

/**
 * Validates a template (DESIGN.md §3) and compiles it. Throws
 * `InvalidTemplateError` naming the position, or `TupleTooLargeError`.
 */
export function compileTemplate(input: unknown, limits: TupleLimits): CompiledTemplate {
  if (!Array.isArray(input)) {
    throw new InvalidTemplateError('[]', `a template must be an array, got ${describe(input)}`);
  }
  if (input.length === 0) throw new InvalidTemplateError('[]', 'a template must have at least one position');
  return compileFlat(input, limits) ?? compileGeneral(input, limits);
}

/**
 * The common case without closures: every position a wildcard or a
 * primitive actual (string, number, boolean, int64 bigint). `undefined`
 * when the template has anything else.
 */
function compileFlat(input: readonly unknown[], limits: TupleLimits): CompiledTemplate | undefined {
  const arity = input.length;
  if (arity > limits.maxFields) return undefined;
  let n = 0;
  for (let pos = 0; pos < arity; pos++) {
    const value = input[pos];
    if (value === null || value === any) continue;
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'boolean':
        break;
      case 'bigint':
        if (value < INT64_MIN || value > INT64_MAX) return undefined;
        break;
      default:
        return undefined;
    }
    n++;
  }
  // Exact-size arrays: this runs once per operation, and push-grown arrays
  // reserve 17 slots each.
  const keyed = new Array<KeyedPosition>(n);
  const values = new Array<string | number | boolean | bigint>(n);
  for (let pos = 0, i = 0; pos < arity; pos++) {
    const value = input[pos] as string | number | boolean | bigint | null | Any;
    if (value === null || value === any) continue;
    keyed[i] = { pos, key: indexKey(value) };
    values[i++] = value;
  }
  return new FlatTemplate(arity, keyed, values);
}

const NO_KEY_SETS: readonly KeySetPosition[] = Object.freeze([]);

/** A template of wildcards and primitive actuals; `matches` compares with SameValueZero. */
class FlatTemplate implements CompiledTemplate {
  readonly keySets = NO_KEY_SETS;
  readonly constrained: number;

  constructor(
    readonly arity: number,
    readonly keyed: readonly KeyedPosition[],
    private readonly values: readonly (string | number | boolean | bigint)[],
  ) {
    this.constrained = keyed.length;
  }

  matches(tuple: Tuple): boolean {
    if (tuple.length !== this.arity) return false;
    const { keyed, values } = this;
    for (let i = 0; i < values.length; i++) {
      const expected = values[i];
      const field = tuple[keyed[i].pos];
      // NaN is the only value unequal to itself.
      if (field !== expected && (expected === expected || field === field)) return false;
    }
    return true;
  }
}

function compileGeneral(input: readonly unknown[], limits: TupleLimits): CompiledTemplate {
  const compiler = new TemplateCompiler(limits);
  compiler.enter(input, '[]', 1);
  const keyed: KeyedPosition[] = [];
  const keySets: KeySetPosition[] = [];
  const tests: { pos: number; test: FieldTest }[] = [];
  for (let pos = 0; pos < input.length; pos++) {
    const plan = compiler.plan(input[pos], `[${pos}]`, 1);
    switch (plan.kind) {
      case 'wildcard':
        break;
      case 'actual':
        keyed.push({ pos, key: indexKey(plan.value) });
        tests.push({ pos, test: equalsTest(plan.value) });
        break;
      case 'keySet':
        keySets.push({ pos, keys: [...plan.keys] });
        tests.push({ pos, test: keySetTest(plan.keys) });
        break;
      case 'predicate':
        tests.push({ pos, test: plan.test });
        break;
    }
  }
  const arity = input.length;
  return {
    arity,
    keyed,
    keySets,
    constrained: tests.length,
    matches(tuple: Tuple): boolean {
      if (tuple.length !== arity) return false;
      for (let i = 0; i < tests.length; i++) {
        const t = tests[i];
        if (!t.test(tuple[t.pos])) return false;
      }
      return true;
    },
  };
}

class TemplateCompiler {
  private fields = 0;
  private readonly ancestors: object[] = [];

  constructor(private readonly limits: TupleLimits) {}

  enter(container: object, path: string, depth: number): void {
    if (this.ancestors.includes(container)) throw new InvalidTemplateError(path, 'the template contains a cycle');
    if (depth > this.limits.maxDepth) {
      throw new TupleTooLargeError(path, 'maxDepth', `nesting deeper than ${this.limits.maxDepth}`);
    }
    this.ancestors.push(container);
  }

  plan(value: unknown, path: string, depth: number): PositionPlan {
    if (++this.fields > this.limits.maxFields) {
      throw new TupleTooLargeError(path, 'maxFields', `more than ${this.limits.maxFields} positions`);
    }
    if (value === null || value === any) return { kind: 'wildcard' };
    if (Array.isArray(value)) return this.planNested(value, path, depth + 1);
    if (typeof value === 'object' && !(value instanceof Uint8Array) && isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.some((k) => k.startsWith('$'))) return this.planOperator(value as Record<string, unknown>, keys, path, depth);
    }
    return { kind: 'actual', value: acceptField(value, path, depth, this.limits) };
  }

  /** A nested array template; when every position is an actual it is one actual value. */
  private planNested(items: readonly unknown[], path: string, depth: number): PositionPlan {
    this.enter(items, path, depth);
    const plans = items.map((item, i) => this.plan(item, `${path}[${i}]`, depth));
    this.ancestors.pop();
    if (plans.every((p) => p.kind === 'actual')) {
      return { kind: 'actual', value: Object.freeze(plans.map((p) => (p as { value: Field }).value)) };
    }
    const tests = plans.map(planTest);
    const length = items.length;
    return {
      kind: 'predicate',
      test: (field) => {
        if (!Array.isArray(field) || field.length !== length) return false;
        for (let i = 0; i < length; i++) if (!tests[i](field[i])) return false;
        return true;
      },
    };
  }

  private planOperator(op: Record<string, unknown>, keys: string[], path: string, depth: number): PositionPlan {
    for (const key of keys) {
      if (!OPERATORS.has(key)) {
        const hint = key.startsWith('$') ? `unknown operator ${key}` : `the key ${key} is mixed with operators (wrap a record with $ keys in {"$eq": …})`;
        throw new InvalidTemplateError(path, hint);
      }
    }
    if (keys.some((k) => RANGE_OPERATORS.has(k))) {
      if (!keys.every((k) => RANGE_OPERATORS.has(k))) {
        throw new InvalidTemplateError(path, `range operators cannot be combined with ${keys.filter((k) => !RANGE_OPERATORS.has(k)).join(', ')}`);
      }
      return { kind: 'predicate', test: rangeTest(op, keys, path) };
    }
    if (keys.length !== 1) throw new InvalidTemplateError(path, `one operator per position, got ${keys.join(', ')}`);
    const name = keys[0];
    const operand = op[name];
    switch (name) {
      case '$type': {
        if (typeof operand !== 'string' || !(FieldTypes as readonly string[]).includes(operand)) {
          throw new InvalidTemplateError(path, `$type must be one of ${FieldTypes.join(', ')}, got ${shown(operand) ?? describe(operand)}`);
        }
        const kind = operand as FieldKind;
        return { kind: 'predicate', test: (field) => fieldKind(field) === kind };
      }
      case '$eq':
        return { kind: 'actual', value: acceptField(operand, `${path}.$eq`, depth, this.limits) };
      case '$in': {
        if (!Array.isArray(operand) || operand.length === 0) {
          throw new InvalidTemplateError(`${path}.$in`, '$in needs a non-empty array of values');
        }
        const values = operand.map((v, i) => acceptField(v, `${path}.$in[${i}]`, depth, this.limits));
        return { kind: 'keySet', values, keys: new Set(values.map(indexKey)) };
      }
      case '$prefix': {
        if (typeof operand !== 'string') throw new InvalidTemplateError(`${path}.$prefix`, `$prefix needs a string, got ${describe(operand)}`);
        return { kind: 'predicate', test: (field) => typeof field === 'string' && field.startsWith(operand) };
      }
      default:
        throw new InvalidTemplateError(path, `unknown operator ${name}`);
    }
  }
}

function rangeTest(op: Record<string, unknown>, keys: string[], path: string): FieldTest {
  let boundType: 'number' | 'bigint' | 'string' | undefined;
  for (const key of keys) {
    const bound = op[key];
    const type = typeof bound;
    if (type !== 'number' && type !== 'bigint' && type !== 'string') {
      throw new InvalidTemplateError(`${path}.${key}`, `${key} needs a number, bigint or string bound, got ${describe(bound)}`);
    }
    if (type === 'number' && Number.isNaN(bound)) throw new InvalidTemplateError(`${path}.${key}`, `${key} bound is NaN`);
    if (type === 'bigint' && ((bound as bigint) < INT64_MIN || (bound as bigint) > INT64_MAX)) {
      throw new InvalidTemplateError(`${path}.${key}`, `${key} bound is outside the int64 range`);
    }
    if (boundType !== undefined && boundType !== type) {
      throw new InvalidTemplateError(path, `range bounds must have one type, got ${boundType} and ${type}`);
    }
    boundType = type as 'number' | 'bigint' | 'string';
  }
  const gt = op.$gt as number | bigint | string | undefined;
  const gte = op.$gte as number | bigint | string | undefined;
  const lt = op.$lt as number | bigint | string | undefined;
  const lte = op.$lte as number | bigint | string | undefined;
  return (field) =>
    typeof field === boundType &&
    (gt === undefined || (field as typeof gt) > gt) &&
    (gte === undefined || (field as typeof gte) >= gte) &&
    (lt === undefined || (field as typeof lt) < lt) &&
    (lte === undefined || (field as typeof lte) <= lte);
}

function equalsTest(value: Field): FieldTest {
  if (typeof value === 'object' && value !== null) return (field) => fieldsEqual(field, value);
  if (typeof value === 'number' && Number.isNaN(value)) return (field) => typeof field === 'number' && Number.isNaN(field);
  return (field) => field === value;
}

function keySetTest(keys: ReadonlySet<IndexKey>): FieldTest {
  return (field) => keys.has(indexKey(field));
}

function planTest(plan: PositionPlan): FieldTest {
  switch (plan.kind) {
    case 'wildcard':
      return () => true;
    case 'actual':
      return equalsTest(plan.value);
    case 'keySet':
      return keySetTest(plan.keys);
    case 'predicate':
      return plan.test;
  }
}
