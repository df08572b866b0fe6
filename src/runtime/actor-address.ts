import { DEFAULT_SCOPE, tenantScopeOf, type Scope } from '../coord/scope.js';
import { ForbiddenError, InvalidArgumentError, shown } from '../errors.js';

/**
 * What an actor may name in its host calls. The caller's identity is its
 * actor id, which the node assigned (a tenant's actors are
 * `tenant/namespace/name`); nothing the actor passes can change it. Every
 * host call that names another actor (spawn, stop, ask, send, link,
 * monitor) or a module (spawn) goes through these two functions, on the
 * main thread and in the workers alike, so a tenant cannot reach another
 * tenant's actors, modules or — through an actor it spawned under a
 * foreign id — state.
 *
 * Rules:
 * - a bare name (no `/`) is relative: it names an actor in the caller's own
 *   tenant and namespace (`counter` from `acme/prod/web` is
 *   `acme/prod/counter`); for an unscoped caller it is the name itself;
 * - a name with `/` must be in the caller's tenant (any of its namespaces);
 *   unscoped names (`a/b`) belong to the tenant `default`, as unscoped
 *   actors do;
 * - anything else is refused with `PLEX_ERR_FORBIDDEN` before anything
 *   happens.
 */
export function resolveActorRef(caller: string, target: string): string {
  if (typeof target !== 'string' || target.length === 0 || target.length > 512) {
    throw new InvalidArgumentError(`an actor id must be 1–512 characters, got ${shown(String(target).slice(0, 80))}`);
  }
  const own = tenantScopeOf(caller);
  if (!target.includes('/')) return own === undefined ? target : `${own.tenant}/${own.namespace}/${target}`;
  const callerTenant = (own ?? DEFAULT_SCOPE).tenant;
  const targetTenant = (tenantScopeOf(target) ?? DEFAULT_SCOPE).tenant;
  if (targetTenant !== callerTenant) {
    throw new ForbiddenError(`actor ${shown(caller)} of tenant ${shown(callerTenant)} cannot reach actor ${shown(target)} of tenant ${shown(targetTenant)}`);
  }
  return target;
}

/**
 * The deployed module a spawn host call names. A node names a tenant's
 * modules `tenant:application` (one module) or `tenant:application:file`
 * (a bundle's). A scoped caller may spawn only its own tenant's modules; a
 * bare name is looked up in the caller's own application first
 * (`worker` from a module of `acme:shop` is `acme:shop:worker`), then as an
 * application of its tenant (`acme:worker`). `exists` says whether a name
 * is deployed. Unscoped callers (actors run outside a node's tenants) may
 * name any module but another tenant's.
 */
export function resolveModuleRef(caller: string, callerModule: string | undefined, moduleRef: string, exists: (name: string) => boolean): string {
  if (typeof moduleRef !== 'string' || moduleRef.length === 0) throw new InvalidArgumentError('spawn needs a module name');
  const own: Scope | undefined = tenantScopeOf(caller);
  const tenant = (own ?? DEFAULT_SCOPE).tenant;
  const colon = moduleRef.indexOf(':');
  if (colon >= 0) {
    const owner = moduleRef.slice(0, colon);
    if (owner !== tenant) throw new ForbiddenError(`actor ${shown(caller)} of tenant ${shown(tenant)} cannot spawn module ${shown(moduleRef)} of tenant ${shown(owner)}`);
    return moduleRef;
  }
  if (own === undefined) return moduleRef;
  const application = callerModule?.startsWith(`${tenant}:`) ? callerModule.split(':')[1] : undefined;
  const candidates = [...(application === undefined ? [] : [`${tenant}:${application}:${moduleRef}`]), `${tenant}:${moduleRef}`];
  // Not deployed: name the tenant's form, so the error says what was looked for and never falls back to a module outside the tenant.
  return candidates.find(exists) ?? candidates[candidates.length - 1];
}
