import { isPlainObject } from '../../tuple/field-kind.js';
import { any, type Field } from '../../tuple/types.js';
import { LuaMap, packForLua, type LuaValue } from './lua-msgpack.js';
import { matchKey, sortableDouble, sortableInt64, TYPE_TAGS, utf16be } from './match-key.js';

/**
 * A template as a program the Lua scripts evaluate against match records
 * (match-record.ts), one op per position:
 *
 *   false                      wildcard
 *   ['e', key]                 equal to an actual value (match-key.ts)
 *   ['i', {key: true, …}]      `$in`
 *   ['t', tags]                `$type`: the key's first byte is one of `tags`
 *   ['p', utf8 | false, utf16] `$prefix`
 *   ['r', kind, gt, gte, lt, lte]  ranges; kind n / i / s; an absent bound is
 *                              false; a number or int64 bound is its 8
 *                              order-preserving bytes, a string bound
 *                              [utf8 | false, utf16]
 *   ['a', [op, …]]             a nested array template
 *
 * It must agree exactly with `compileTemplate` (src/tuple/template.ts),
 * which validates the template first: this compiler trusts its input.
 */
export interface TemplateProgram {
  readonly arity: number;
  /** The packed program, an argument of the scripts. */
  readonly bytes: Buffer;
}

type Plan =
  | { readonly kind: 'wildcard' }
  | { readonly kind: 'actual'; readonly value: Field }
  | { readonly kind: 'op'; readonly op: LuaValue };

export function templateProgram(template: readonly unknown[]): TemplateProgram {
  const ops = template.map((position) => toOp(plan(position)));
  return { arity: template.length, bytes: packForLua(ops) };
}

function plan(value: unknown): Plan {
  if (value === null || value === any) return { kind: 'wildcard' };
  if (Array.isArray(value)) {
    const items = value.map(plan);
    // As in template.ts: a nested array of actual values is itself one actual value.
    if (items.every((p) => p.kind === 'actual')) return { kind: 'actual', value: items.map((p) => (p as { value: Field }).value) };
    return { kind: 'op', op: [B('a'), items.map(toOp)] };
  }
  if (typeof value === 'object' && !(value instanceof Uint8Array) && isPlainObject(value)) {
    const op = value as Record<string, unknown>;
    const keys = Object.keys(op);
    if (keys.some((k) => k.startsWith('$'))) return operator(op, keys);
  }
  // `-0` needs no care: match keys fold it into 0, as accepted tuples do.
  return { kind: 'actual', value: value as Field };
}

function operator(op: Record<string, unknown>, keys: string[]): Plan {
  if ('$eq' in op) return { kind: 'actual', value: op.$eq as Field };
  if ('$in' in op) {
    const entries = (op.$in as Field[]).map((v) => [matchKey(v), true] as const);
    return { kind: 'op', op: [B('i'), new LuaMap(entries)] };
  }
  if ('$type' in op) return { kind: 'op', op: [B('t'), B(TYPE_TAGS[op.$type as string])] };
  if ('$prefix' in op) return { kind: 'op', op: [B('p'), ...stringBound(op.$prefix as string)] };
  const sample = op[keys[0]];
  const kind = typeof sample === 'number' ? 'n' : typeof sample === 'bigint' ? 'i' : 's';
  const bound = (name: string): LuaValue => {
    const b = op[name] as number | bigint | string | undefined;
    if (b === undefined) return false;
    if (typeof b === 'number') return sortableDouble(b);
    if (typeof b === 'bigint') return sortableInt64(b);
    return stringBound(b);
  };
  return { kind: 'op', op: [B('r'), B(kind), bound('$gt'), bound('$gte'), bound('$lt'), bound('$lte')] };
}

/** A string operand in both forms Lua may need: UTF-8 (only when well-formed) and UTF-16BE. */
function stringBound(text: string): [LuaValue, LuaValue] {
  return [text.isWellFormed() ? Buffer.from(text, 'utf8') : false, utf16be(text)];
}

function toOp(p: Plan): LuaValue {
  switch (p.kind) {
    case 'wildcard':
      return false;
    case 'actual':
      return [B('e'), matchKey(p.value)];
    case 'op':
      return p.op;
  }
}

function B(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}
