import { AmbiguousActorError } from '../errors.js';
import type { ApplicationInfo } from '../node/application-registry.js';

/**
 * Which deployed application activates an actor id that no running actor
 * answers to, when the call does not name one (`application_id`). The
 * articles deploy `application_id=bank-app name=bank-account` and then ask
 * `account-alice`, so an exact match alone is not enough; but a rule that
 * activated any id from any application would turn every typo into a new
 * actor. The tiers, first that finds something wins:
 *
 * 1. an application whose id is the actor id (`my-app`, `counter` deployed by `/api/v1/deploy`);
 * 2. applications whose name is the actor id (`rate-limiter` of `rate-limiter-app`);
 * 3. applications whose id or name, followed by `-` `_` `.` or `:`, begins the
 *    actor id (`counter-7`, `bank-account:alice`); the longest such prefix wins;
 * 4. applications one of whose name's words (split at `-` `_` `.`) is the
 *    actor id's first word (`account-alice` → `bank-account`).
 *
 * Tiers 3 and 4 consider single-module applications and the bundles deployed
 * to the caller's namespace. A tier that finds several applications is
 * `AmbiguousActorError` naming them; none at all is `undefined` (the caller
 * answers PLEX_ERR_ACTOR_NOT_FOUND).
 */
export function applicationFor(apps: readonly ApplicationInfo[], id: string, namespace: string): ApplicationInfo | undefined {
  const byId = apps.find((a) => a.applicationId === id);
  if (byId !== undefined) return byId;
  const byName = one(id, apps.filter((a) => a.name === id));
  if (byName !== undefined) return byName;
  const near = apps.filter((a) => a.kind === 'module' || a.namespace === namespace);
  let longest = 0;
  let prefixed: ApplicationInfo[] = [];
  for (const app of near) {
    for (const prefix of [app.applicationId, app.name]) {
      if (prefix.length < longest || !id.startsWith(prefix) || !SEPARATORS.has(id[prefix.length])) continue;
      if (prefix.length > longest) [longest, prefixed] = [prefix.length, []];
      if (!prefixed.includes(app)) prefixed.push(app);
    }
  }
  const byPrefix = one(id, prefixed);
  if (byPrefix !== undefined) return byPrefix;
  const first = id.split(/[-_.:]/)[0];
  return one(id, near.filter((a) => a.name.split(/[-_.]/).includes(first)));
}

const SEPARATORS = new Set(['-', '_', '.', ':']);

function one(id: string, found: readonly ApplicationInfo[]): ApplicationInfo | undefined {
  if (found.length > 1) throw new AmbiguousActorError(id, found.map((a) => a.applicationId).sort());
  return found[0];
}

/** The application id of a module name in the runtime (`tenant:app` or, for a bundle's module, `tenant:app:file`). */
export function applicationOfModule(module: string): string | undefined {
  const parts = module.split(':');
  return parts.length >= 2 ? parts[1] : undefined;
}
