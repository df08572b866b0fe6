import { InvalidArgumentError } from '../errors.js';

/**
 * The tenant and namespace a coordination call belongs to. Every service
 * (groups, channels, kv, locks, blobs, timers) keeps each scope's names
 * apart: the same key in two tenants is two keys.
 */
export interface Scope {
  readonly tenant: string;
  readonly namespace: string;
}

export const DEFAULT_SCOPE: Scope = Object.freeze({ tenant: 'default', namespace: 'default' });

const PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** Validates a scope given by a caller (a tenant or namespace becomes a directory name for blobs). */
export function checkScope(scope: Scope): Scope {
  if (scope === null || typeof scope !== 'object') throw new InvalidArgumentError('a scope needs { tenant, namespace }');
  for (const part of ['tenant', 'namespace'] as const) {
    const value = scope[part];
    if (typeof value !== 'string' || !PART.test(value)) throw new InvalidArgumentError(`${part} must be 1–64 of A–Z a–z 0–9 _ . - (not starting with . or -), got ${JSON.stringify(value)}`);
  }
  return scope;
}

/**
 * The scope of an actor's host calls: actors a node starts for a tenant are
 * named `tenant/namespace/name`; every other actor is in the default scope.
 */
export function scopeOfActor(actorId: string): Scope {
  const parts = actorId.split('/');
  if (parts.length === 3 && PART.test(parts[0]) && PART.test(parts[1])) return { tenant: parts[0], namespace: parts[1] };
  return DEFAULT_SCOPE;
}

/** One string per scope, for map keys and SQLite columns. */
export function scopeKey(scope: Scope): string {
  return `${scope.tenant}/${scope.namespace}`;
}
