/**
 * The tuple and template model of DESIGN.md §3.
 *
 * A tuple is a non-empty array of fields. Tuples handed back by a space are
 * frozen (deeply), so a caller cannot change a stored tuple behind the index's
 * back; `Uint8Array` fields, which cannot be frozen, are copied on the way out.
 */

/** One field of a tuple. `number` is a float64 (`-0` is stored as `0`), `bigint` an int64. */
export type Field =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | readonly Field[]
  | { readonly [key: string]: Field };

export type Tuple = readonly Field[];

/**
 * The TS-form wildcard. `null` is the same wildcard in the JSON form
 * (`["order", null, "pending", null]`); to match a literal `null` field use
 * `{ $eq: null }` or `{ $type: 'null' }`.
 */
export const any: unique symbol = Symbol.for('plexspaces.any');
export type Any = typeof any;

export const FieldTypes = ['string', 'number', 'int', 'bool', 'bytes', 'array', 'object', 'null'] as const;
export type FieldTypeName = (typeof FieldTypes)[number];

export type RangeBound = number | bigint | string;

/** Operator objects that may stand at a template position. */
export type TemplateOperator =
  | { readonly $type: FieldTypeName }
  | { readonly $eq: Field }
  | { readonly $in: readonly Field[] }
  | { readonly $prefix: string }
  | {
      readonly $gt?: RangeBound;
      readonly $gte?: RangeBound;
      readonly $lt?: RangeBound;
      readonly $lte?: RangeBound;
    };

/** What may stand at one position of a template. */
export type TemplateField = Field | Any | TemplateOperator | readonly TemplateField[];

export type Template = readonly TemplateField[];
