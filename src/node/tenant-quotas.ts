import { availableParallelism } from 'node:os';
import { tenantScopeOf } from '../coord/scope.js';
import { InvalidArgumentError, QuotaExceededError, UsageError, shown } from '../errors.js';
import type { SpawnAdmission } from '../runtime/actor-runtime-types.js';

/**
 * What one tenant may hold on a node. Each limit stops one way a tenant
 * could take the machine from the others (docs/security.md, "Quotas");
 * going over any of them is a `QuotaExceededError` (PLEX_ERR_QUOTA_EXCEEDED)
 * and changes nothing. Config file keys are the snake_case names under
 * `[quotas]` (docs/node.md).
 */
export interface TenantQuotaOptions {
  /** Actors of one tenant running at once: activated by a message, bundle children, virtual actors, shards. Default 1000. */
  readonly actorsPerTenant?: number;
  /**
   * WASM memory one tenant's running actors may reserve together. Each actor
   * is charged, at spawn, what its linear memory and tables can grow to (their
   * clamped maxima), so the sum is a bound on what they can really take.
   * Default 4 GiB.
   */
  readonly memoryBytesPerTenant?: number;
  /** Largest linear memory of one tenant actor, MiB; the module's own maximum is clamped to it. Default 64. */
  readonly memoryMbPerActor?: number;
  /** Largest table of one tenant actor, elements: more at start is refused at deploy, `table.grow` past it fails. Default 65 536. */
  readonly tableElementsPerActor?: number;
  /** Bytes of WASM one tenant may have deployed, every module of every application together. Default 256 MiB. */
  readonly moduleBytesPerTenant?: number;
  /** Jobs (`job.nbody` on the websocket) one tenant runs at once. Default 1. */
  readonly jobsPerTenant?: number;
  /** Worker threads one job may ask for. Default `os.availableParallelism()` (the machine's cores). */
  readonly workersPerJob?: number;
  /** Tuple spaces one tenant may have (open or stored). Default 100. */
  readonly spacesPerTenant?: number;
  /** Tuples stored in one space. Default 1 000 000. */
  readonly tuplesPerSpace?: number;
  /** Bytes of tuples stored in one space (each tuple's encoded size, bounded from above). Default 256 MiB. */
  readonly bytesPerSpace?: number;
  /** Blocked `read`/`take` calls waiting in one space at once. Default 10 000. */
  readonly waitersPerSpace?: number;
}

export type TenantQuotaLimits = { readonly [K in keyof TenantQuotaOptions]-?: number };

/** The one source of every default. `workersPerJob` is read when a node starts (it is the machine's cores). */
export function defaultTenantQuotas(): TenantQuotaLimits {
  return {
    actorsPerTenant: 1000,
    memoryBytesPerTenant: 4 * 1024 ** 3,
    memoryMbPerActor: 64,
    tableElementsPerActor: 65_536,
    moduleBytesPerTenant: 256 * 1024 ** 2,
    jobsPerTenant: 1,
    workersPerJob: availableParallelism(),
    spacesPerTenant: 100,
    tuplesPerSpace: 1_000_000,
    bytesPerSpace: 256 * 1024 ** 2,
    waitersPerSpace: 10_000,
  };
}

/** The largest value each limit takes (what the runtime below it can honour). */
const MAXIMA: TenantQuotaLimits = {
  actorsPerTenant: 1_000_000,
  memoryBytesPerTenant: Number.MAX_SAFE_INTEGER,
  memoryMbPerActor: 4096,
  tableElementsPerActor: 10_000_000,
  moduleBytesPerTenant: Number.MAX_SAFE_INTEGER,
  jobsPerTenant: 1024,
  workersPerJob: 256,
  spacesPerTenant: 1_000_000,
  tuplesPerSpace: Number.MAX_SAFE_INTEGER,
  bytesPerSpace: Number.MAX_SAFE_INTEGER,
  waitersPerSpace: Number.MAX_SAFE_INTEGER,
};

export const QUOTA_NAMES = Object.keys(MAXIMA) as (keyof TenantQuotaLimits)[];

/** Merges `options` over the defaults (without touching `options`); a bad value names its limit. */
export function resolveTenantQuotas(options: TenantQuotaOptions = {}): TenantQuotaLimits {
  const out: Record<string, number> = { ...defaultTenantQuotas() };
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const max = MAXIMA[name as keyof TenantQuotaLimits];
    if (max === undefined) throw new InvalidArgumentError(`unknown quota ${name} (known: ${QUOTA_NAMES.join(', ')})`);
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) throw new InvalidArgumentError(`quota ${name} must be an integer in 1..${max}, got ${shown(value)}`);
    out[name] = value;
  }
  return Object.freeze(out) as TenantQuotaLimits;
}

/** A limit's key in the config file's `[quotas]` table: `actorsPerTenant` is `actors_per_tenant`. */
export function quotaConfigKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The `[quotas]` table of a config file; a bad key or value is a UsageError naming it. */
export function quotasFromConfig(where: string, table: Record<string, unknown>): TenantQuotaOptions {
  const byKey = new Map(QUOTA_NAMES.map((name) => [quotaConfigKey(name), name]));
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(table)) {
    const name = byKey.get(key);
    if (name === undefined) throw new UsageError(`${where} [quotas]: unknown key ${key} (known: ${[...byKey.keys()].join(', ')})`);
    const max = MAXIMA[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) throw new UsageError(`${where}: quotas.${key} must be an integer in 1..${max}, got ${shown(value)}`);
    out[name] = value;
  }
  return out;
}

/** The tenant of an actor id a node gave a tenant's actor (`tenant/namespace/name`, shards `tenant/namespace/group/shard-i`); undefined for the node's own. */
export function tenantOfActor(actorId: string): string | undefined {
  return tenantScopeOf(actorId)?.tenant;
}

interface Usage {
  actors: number;
  memoryBytes: number;
  jobs: number;
}

/**
 * The node's bookkeeping of what each tenant holds against its quotas.
 * Main-thread only, like everything it counts: a check and its charge
 * happen in one synchronous step, so two concurrent requests cannot both
 * pass a check only one of them fits.
 */
export class TenantQuotas {
  readonly limits: TenantQuotaLimits;
  private readonly usage = new Map<string, Usage>();
  /** What each admitted actor was charged, so its release gives back exactly that. */
  private readonly charged = new Map<string, { tenant: string; bytes: number }>();

  constructor(options: TenantQuotaOptions = {}) {
    this.limits = resolveTenantQuotas(options);
  }

  /** The actor runtime's admission hook: counts tenant actors and their reserved memory. */
  readonly admission: SpawnAdmission = {
    admit: (actorId, reservedBytes) => {
      const tenant = tenantOfActor(actorId);
      if (tenant === undefined) return;
      const use = this.of(tenant);
      if (use.actors + 1 > this.limits.actorsPerTenant) throw new QuotaExceededError('actorsPerTenant', this.limits.actorsPerTenant, `tenant ${shown(tenant)}`, `${use.actors} actors are running`);
      if (use.memoryBytes + reservedBytes > this.limits.memoryBytesPerTenant) {
        throw new QuotaExceededError('memoryBytesPerTenant', this.limits.memoryBytesPerTenant, `tenant ${shown(tenant)}`, `its running actors reserve ${use.memoryBytes} bytes and ${actorId} needs ${reservedBytes} more`);
      }
      use.actors++;
      use.memoryBytes += reservedBytes;
      this.charged.set(actorId, { tenant, bytes: reservedBytes });
    },
    release: (actorId) => {
      const charge = this.charged.get(actorId);
      if (charge === undefined) return;
      this.charged.delete(actorId);
      const use = this.of(charge.tenant);
      use.actors--;
      use.memoryBytes -= charge.bytes;
    },
  };

  /** Refuses, before anything starts, `count` more actors the tenant has no room for (a shard group's shards). */
  checkActors(tenant: string, count: number): void {
    const use = this.of(tenant);
    if (use.actors + count > this.limits.actorsPerTenant) {
      throw new QuotaExceededError('actorsPerTenant', this.limits.actorsPerTenant, `tenant ${shown(tenant)}`, `${use.actors} actors are running and ${count} more were asked for`);
    }
  }

  /** Refuses a deploy that would take the tenant's modules past `moduleBytesPerTenant`; `kept`: the bytes of its other applications. */
  checkModuleBytes(tenant: string, kept: number, adding: number): void {
    if (kept + adding > this.limits.moduleBytesPerTenant) {
      throw new QuotaExceededError('moduleBytesPerTenant', this.limits.moduleBytesPerTenant, `tenant ${shown(tenant)}`, `its other applications hold ${kept} bytes and this deploy adds ${adding}`);
    }
  }

  /** Counts a job against the tenant's quotas; call the returned function once when it ends. */
  startJob(tenant: string, workers: number): () => void {
    if (workers > this.limits.workersPerJob) throw new QuotaExceededError('workersPerJob', this.limits.workersPerJob, `tenant ${shown(tenant)}`, `the job asked for ${workers} workers`);
    const use = this.of(tenant);
    if (use.jobs + 1 > this.limits.jobsPerTenant) throw new QuotaExceededError('jobsPerTenant', this.limits.jobsPerTenant, `tenant ${shown(tenant)}`, `${use.jobs} jobs are running`);
    use.jobs++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      use.jobs--;
    };
  }

  /** What a tenant holds now (for tests and metrics). */
  used(tenant: string): Readonly<Usage> {
    return { ...this.of(tenant) };
  }

  private of(tenant: string): Usage {
    let use = this.usage.get(tenant);
    if (use === undefined) {
      use = { actors: 0, memoryBytes: 0, jobs: 0 };
      this.usage.set(tenant, use);
    }
    return use;
  }
}
