import { InvalidArgumentError, shown } from '../errors.js';

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
    if (typeof value !== 'string' || !PART.test(value)) throw new InvalidArgumentError(`${part} must be 1–64 of A–Z a–z 0–9 _ . - (not starting with . or -), got ${shown(value)}`);
  }
  return scope;
}

/**
 * The scope of an actor's host calls: actors a node starts for a tenant are
 * named `tenant/namespace/name` (a shard of a tenant's group:
 * `tenant/namespace/group/shard-i`); every other actor is in the default
 * scope. The node assigns ids, so this is the actor's identity, never a
 * claim the actor makes.
 */
export function scopeOfActor(actorId: string): Scope {
  return tenantScopeOf(actorId) ?? DEFAULT_SCOPE;
}

/** The tenant scope an actor id names (at least three segments, the first two valid names), or undefined for an unscoped id. */
export function tenantScopeOf(actorId: string): Scope | undefined {
  const first = actorId.indexOf('/');
  if (first <= 0) return undefined;
  const second = actorId.indexOf('/', first + 1);
  if (second < 0 || second === actorId.length - 1) return undefined;
  const tenant = actorId.slice(0, first);
  const namespace = actorId.slice(first + 1, second);
  return PART.test(tenant) && PART.test(namespace) ? { tenant, namespace } : undefined;
}

/** One string per scope, for map keys and SQLite columns. */
export function scopeKey(scope: Scope): string {
  return `${scope.tenant}/${scope.namespace}`;
}
