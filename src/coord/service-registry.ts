import { InvalidArgumentError, shown } from '../errors.js';
import type { KvService } from './coordination-services.js';
import type { Scope } from './scope.js';

/** One live instance of a service. */
export interface ServiceInstance {
  readonly actor: string;
  readonly metadata: unknown;
  readonly expires_at_ms: number;
}

/** Names of services: what a group or channel name may be, minus the separator. */
const SERVICE = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}$/;
/** The KV namespace registrations live in, one per tenant. Reserved: an actor's own KV calls use its own namespace. */
export const REGISTRY_NAMESPACE = '_service-registry';
/** Longest a registration lives without being renewed. */
export const MAX_REGISTRATION_TTL_MS = 24 * 3600_000;
const SEPARATOR = '|';

/**
 * Service discovery (wit/platform/registry.wit): an actor registers itself
 * as an instance of a named service, with metadata and a TTL it renews by
 * registering again; lookups see the live instances. Kept in the KV store
 * (SQLite on one node, Redis in a cluster — so every node sees the same
 * registry) under a namespace of the caller's tenant: tenants never see
 * each other's services, and the namespaces of one tenant share them.
 * Every registration has a TTL, so an instance on a node that died
 * without unregistering disappears by itself; one that exits on a live
 * node is removed at once (`actorExited`).
 */
export class ServiceRegistry {
  /** Services each local actor registered, to drop them when it exits. */
  private readonly byActor = new Map<string, Map<string, string>>();

  constructor(private readonly kv: KvService) {}

  async register(tenant: string, service: string, actor: string, metadataJson: string, ttlMs: number): Promise<ServiceInstance> {
    checkService(service);
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0 || ttlMs > MAX_REGISTRATION_TTL_MS) {
      throw new InvalidArgumentError(`a registration's ttl-ms must be 1–${MAX_REGISTRATION_TTL_MS} (renew it by registering again), got ${shown(ttlMs)}`);
    }
    let metadata: unknown;
    try {
      metadata = metadataJson === '' ? {} : JSON.parse(metadataJson);
    } catch {
      throw new InvalidArgumentError(`a registration's metadata must be JSON, got ${shown(metadataJson)}`);
    }
    await this.kv.put(scopeOf(tenant), key(service, actor), JSON.stringify(metadata), { ttlMs });
    let services = this.byActor.get(actor);
    if (services === undefined) this.byActor.set(actor, (services = new Map()));
    services.set(service, tenant);
    return { actor, metadata, expires_at_ms: Date.now() + ttlMs };
  }

  /** True when the actor had a live registration. */
  async unregister(tenant: string, service: string, actor: string): Promise<boolean> {
    checkService(service);
    this.byActor.get(actor)?.delete(service);
    return this.kv.delete(scopeOf(tenant), key(service, actor));
  }

  async lookup(tenant: string, service: string): Promise<ServiceInstance[]> {
    checkService(service);
    const entries = await this.kv.list(scopeOf(tenant), `${service}${SEPARATOR}`);
    return entries.map((e) => ({ actor: e.key.slice(service.length + 1), metadata: JSON.parse(e.value) as unknown, expires_at_ms: e.expiresAt ?? 0 }));
  }

  /** Names of services with a live instance, starting with `prefix`, in order. */
  async services(tenant: string, prefix: string): Promise<string[]> {
    const entries = await this.kv.list(scopeOf(tenant), prefix);
    const names = new Set<string>();
    for (const e of entries) names.add(e.key.slice(0, e.key.indexOf(SEPARATOR)));
    return [...names];
  }

  /** A local actor exited: its registrations go (others' lookups stop seeing it at once). */
  actorExited(actor: string): void {
    const services = this.byActor.get(actor);
    if (services === undefined) return;
    this.byActor.delete(actor);
    for (const [service, tenant] of services) this.kv.delete(scopeOf(tenant), key(service, actor)).catch(() => undefined);
  }
}

function scopeOf(tenant: string): Scope {
  return { tenant, namespace: REGISTRY_NAMESPACE };
}

function key(service: string, actor: string): string {
  return `${service}${SEPARATOR}${actor}`;
}

function checkService(service: string): void {
  if (typeof service !== 'string' || !SERVICE.test(service)) throw new InvalidArgumentError(`a service name must be 1–128 of A–Z a–z 0–9 _ . : / - (not starting with . : / -), got ${shown(service)}`);
}
