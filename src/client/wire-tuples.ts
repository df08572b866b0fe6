import { fromJsonValue, toJsonValue } from '../tuple/json.js';
import { any, type Field, type Template, type TemplateField, type Tuple } from '../tuple/types.js';

/**
 * The client speaks the in-process types (bigint, Uint8Array, the `any`
 * wildcard); the node's remote surfaces speak the JSON form. These convert.
 */
export function tupleToWire(tuple: Tuple): unknown[] {
  return tuple.map((field) => toJsonValue(field));
}

function templateFieldToWire(field: TemplateField): unknown {
  if (field === any) return null;
  if (Array.isArray(field)) return field.map((f) => templateFieldToWire(f as TemplateField));
  return toJsonValue(field as Field);
}

export function templateToWire(template: Template): unknown[] {
  return template.map(templateFieldToWire);
}

export function tupleFromWire(value: unknown): Tuple | null {
  return value === null || value === undefined ? null : (fromJsonValue(value) as Tuple);
}
