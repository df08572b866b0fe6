import { InvalidArgumentError, InvalidTemplateError, InvalidTupleError } from '../errors.js';

/**
 * Conversions between the protobuf tuple form (proto/plexspaces/v1/tuple.proto,
 * as @grpc/proto-loader presents it: oneof name in `kind`, int64 as decimal
 * strings, bytes as Buffers) and the JSON form every surface hands to
 * NodeService ({"$int"}, {"$bytes"}, {"$record"}).
 */
export interface ProtoField {
  kind?: string;
  string?: string;
  number?: number;
  int?: string;
  bool?: boolean;
  bytes?: Buffer;
  array?: { fields?: ProtoField[] };
  record?: { fields?: Record<string, ProtoField> };
  null?: string | number;
}

export interface ProtoTemplateField {
  kind?: string;
  value?: ProtoField;
  any?: object;
  type?: string;
  in?: { fields?: ProtoField[] };
  prefix?: string;
  range?: { gt?: ProtoField; gte?: ProtoField; lt?: ProtoField; lte?: ProtoField };
  nested?: { fields?: ProtoTemplateField[] };
}

const INT = /^-?\d+$/;

export function fieldToJson(field: ProtoField | undefined, path: string): unknown {
  switch (field?.kind) {
    case 'string':
      return field.string ?? '';
    case 'number':
      return field.number ?? 0;
    case 'int':
      if (typeof field.int !== 'string' || !INT.test(field.int)) throw new InvalidTupleError(path, `int must be an int64, got ${String(field.int)}`);
      return { $int: field.int };
    case 'bool':
      return field.bool ?? false;
    case 'bytes':
      return { $bytes: Buffer.from(field.bytes ?? []).toString('base64') };
    case 'array':
      return (field.array?.fields ?? []).map((f, i) => fieldToJson(f, `${path}[${i}]`));
    case 'record': {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(field.record?.fields ?? {})) out[key] = fieldToJson(value, `${path}.${key}`);
      // A record whose only key looks like a tag must not be read as one.
      const keys = Object.keys(out);
      return keys.length === 1 && keys[0].startsWith('$') ? { $record: out } : out;
    }
    case 'null':
      return null;
    default:
      throw new InvalidTupleError(path, 'a field must set one of string, number, int, bool, bytes, array, record, null');
  }
}

export function tupleToJson(tuple: { fields?: ProtoField[] } | undefined): unknown[] {
  return (tuple?.fields ?? []).map((f, i) => fieldToJson(f, `[${i}]`));
}

export function templateFieldToJson(field: ProtoTemplateField | undefined, path: string): unknown {
  switch (field?.kind) {
    case 'value': {
      const value = fieldToJson(field.value, path);
      // null in the JSON form is the wildcard, and an object could read as an operator: say "equal" explicitly.
      return value === null || (typeof value === 'object' && !Array.isArray(value)) ? { $eq: value } : value;
    }
    case 'any':
      return null;
    case 'type':
      return { $type: field.type };
    case 'in':
      return { $in: (field.in?.fields ?? []).map((f, i) => fieldToJson(f, `${path}.in[${i}]`)) };
    case 'prefix':
      return { $prefix: field.prefix ?? '' };
    case 'range': {
      const range: Record<string, unknown> = {};
      for (const bound of ['gt', 'gte', 'lt', 'lte'] as const) {
        const value = field.range?.[bound];
        if (value !== undefined && value !== null) range[`$${bound}`] = fieldToJson(value, `${path}.${bound}`);
      }
      if (Object.keys(range).length === 0) throw new InvalidTemplateError(path, 'a range needs at least one bound');
      return range;
    }
    case 'nested':
      return (field.nested?.fields ?? []).map((f, i) => templateFieldToJson(f, `${path}[${i}]`));
    default:
      throw new InvalidTemplateError(path, 'a template field must set one of value, any, type, in, prefix, range, nested');
  }
}

export function templateToJson(template: { fields?: ProtoTemplateField[] } | undefined): unknown[] {
  if (template === undefined || template === null) throw new InvalidArgumentError('template is required');
  return (template.fields ?? []).map((f, i) => templateFieldToJson(f, `[${i}]`));
}

/** The JSON form of a stored field (as NodeService returns it) → the protobuf form. */
export function jsonToField(value: unknown): ProtoField {
  if (value === null) return { null: 'NULL_VALUE' };
  if (typeof value === 'string') return { string: value };
  if (typeof value === 'number') return { number: value };
  if (typeof value === 'boolean') return { bool: value };
  if (Array.isArray(value)) return { array: { fields: value.map(jsonToField) } };
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === '$int') return { int: String(record.$int) };
  if (keys.length === 1 && keys[0] === '$bytes') return { bytes: Buffer.from(String(record.$bytes), 'base64') };
  const fields: Record<string, ProtoField> = {};
  const source = keys.length === 1 && keys[0] === '$record' ? (record.$record as Record<string, unknown>) : record;
  for (const [key, v] of Object.entries(source)) fields[key] = jsonToField(v);
  return { record: { fields } };
}

export function jsonToTuple(tuple: unknown[] | null): { fields: ProtoField[] } | undefined {
  return tuple === null ? undefined : { fields: tuple.map(jsonToField) };
}

/** A proto Computation (tuplespace.proto) in the active tuple's JSON form. */
export interface ProtoEvalField {
  kind?: string;
  value?: ProtoField;
  compute?: { module?: string; task?: string; actor?: string; message?: string; argsJson?: string };
}

/** EvalRequest.fields as the JSON form `activeTupleFromJson` reads: `{"$eval": …}` for a computation. */
export function evalFieldsToJson(fields: ProtoEvalField[] | undefined): unknown[] {
  return (fields ?? []).map((field, index) => {
    if (field.kind === 'value') return fieldToJson(field.value, `fields[${index}]`);
    if (field.kind !== 'compute' || field.compute === undefined) throw new InvalidTupleError(`fields[${index}]`, 'an eval field is a value or a compute');
    const { module, task, actor, message, argsJson } = field.compute;
    let args: unknown = {};
    if (argsJson !== undefined && argsJson !== '') {
      try {
        args = JSON.parse(argsJson);
      } catch (cause) {
        throw new InvalidArgumentError(`fields[${index}].compute.args_json is not JSON: ${(cause as Error).message}`);
      }
    }
    const spec: Record<string, unknown> = { args };
    if (module) spec.module = module;
    if (task) spec.task = task;
    if (actor) spec.actor = actor;
    if (message) spec.message = message;
    return { $eval: spec };
  });
}

/** A proto3 number that is "not given" when zero (absent fields arrive as 0 or not at all): undefined then. */
export const optionalNumber = (value: string | number | undefined | null): number | undefined => (value === undefined || value === null || Number(value) === 0 ? undefined : Number(value));
