import { join } from 'node:path';
import { InvalidNameError, QuotaExceededError, SpaceClosedError, shown } from '../errors.js';
import type { TupleSpaceOptions } from './options.js';
import { SqliteStore, type SqliteSynchronous } from './storage/sqlite-store.js';
import { TupleSpace } from './tuple-space.js';
import type { Space } from './space.js';
import type { SpaceQuotaOptions } from './space-quota.js';

/**
 * Spaces shared by the nodes of a cluster (src/cluster/redis-space/redis-space-catalog.ts):
 * the registry opens a space there instead of in the node when `placement` says so.
 */
export interface SharedSpaceBackend {
  /** The shared space `tenant/namespace/name`, at once; the tenant's quota is checked before its first operation, the space's quotas on every one. */
  open(key: string, maxSpacesPerTenant: number | undefined, quota: SpaceQuotaOptions): Space;
  /** Every shared space of a tenant, as keys. */
  list(tenant: string): Promise<string[]>;
  /** Deletes a shared space's tuples for every node; true when it existed. */
  drop(key: string): Promise<boolean>;
}

/** Where a space lives: in this node (memory, durable in SQLite with a data directory) or shared by the cluster. */
export type SpacePlacement = 'node' | 'shared';

/** Where a named space lives. Tenants never see each other's spaces. */
export interface SpaceRef {
  readonly tenant: string;
  readonly namespace: string;
  readonly name: string;
}

export interface SpaceRegistryOptions {
  /**
   * Directory for durable spaces (one SQLite file, `spaces.sqlite`, holds them
   * all). Default: none — every space is in-memory.
   */
  dataDir?: string;
  /** Durability of SQLite commits. Default `full`. */
  synchronous?: SqliteSynchronous;
  /** Options for every space the registry opens (storage excepted), quotas (`maxTuples`…) included. */
  space?: Omit<TupleSpaceOptions, 'storage' | 'name'>;
  /** Spaces one tenant may have, open or stored; opening one more is a `QuotaExceededError` (`spacesPerTenant`). Default: unbounded. */
  maxSpacesPerTenant?: number;
  /** The cluster's spaces; without it every space is the node's own. */
  shared?: SharedSpaceBackend;
  /** Which spaces are shared (given `shared`). Default: every one. */
  placement?: (key: string) => SpacePlacement;
}

/** Tenant, namespace and space names: 1–64 of `A–Z a–z 0–9 _ . -`, not starting with `.`. */
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

/**
 * Named tuple spaces keyed by tenant / namespace / name. Every access names
 * the tenant, and a tenant's listing shows only its own spaces, so one
 * tenant cannot reach another's tuples through the registry.
 */
export class SpaceRegistry {
  private readonly spaces = new Map<string, Space>();
  private readonly store: SqliteStore | undefined;
  /** Spaces per tenant, open or stored (for `maxSpacesPerTenant`), kept as a count so opening a new name never scans the store. */
  private readonly known = new Set<string>();
  private readonly perTenant = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: SpaceRegistryOptions = {}) {
    if (options.dataDir !== undefined) {
      this.store = new SqliteStore(join(options.dataDir, 'spaces.sqlite'), { synchronous: options.synchronous });
      for (const stored of this.store.spaceNames()) if (!stored.includes('#')) this.noteKnown(stored);
    }
  }

  get durable(): boolean {
    return this.store !== undefined;
  }

  /**
   * The space named by `ref`, created (or reloaded from disk) on first use;
   * a shared one is the cluster's (its first operation fails with
   * `PLEX_ERR_BACKEND_UNAVAILABLE` while Redis is down).
   */
  open(ref: SpaceRef): Space {
    if (this.closed) throw new SpaceClosedError('the space registry is closed');
    const key = spaceKey(ref);
    let space = this.spaces.get(key);
    if (space === undefined && this.placementOf(key) === 'shared') {
      space = this.options.shared!.open(key, this.options.maxSpacesPerTenant, { maxTuples: this.options.space?.maxTuples, maxBytes: this.options.space?.maxBytes, maxWaiters: this.options.space?.maxWaiters });
      this.spaces.set(key, space);
    }
    if (space === undefined) {
      const max = this.options.maxSpacesPerTenant;
      if (max !== undefined && !this.known.has(key) && (this.perTenant.get(ref.tenant) ?? 0) >= max) {
        throw new QuotaExceededError('spacesPerTenant', max, `tenant ${shown(ref.tenant)}`);
      }
      this.noteKnown(key);
      space = new TupleSpace({ ...this.options.space, name: key, storage: this.store?.space(key) });
      this.spaces.set(key, space);
    }
    return space;
  }

  /** Where the space of `ref` lives (or would, once opened). */
  placementOf(key: string): SpacePlacement {
    if (this.options.shared === undefined) return 'node';
    return this.options.placement?.(key) ?? 'shared';
  }

  /** The spaces open now, with their references (for metrics). */
  openSpaces(): { ref: SpaceRef; space: Space }[] {
    return [...this.spaces.entries()].map(([key, space]) => {
      const [tenant, namespace, name] = key.split('/');
      return { ref: { tenant, namespace, name }, space };
    });
  }

  /** The space if it is open now. */
  get(ref: SpaceRef): Space | undefined {
    return this.spaces.get(spaceKey(ref));
  }

  /** The spaces of one tenant (optionally one namespace), open or stored on disk, and the cluster's. */
  async list(tenant: string, namespace?: string): Promise<SpaceRef[]> {
    checkName('tenant', tenant);
    if (namespace !== undefined) checkName('namespace', namespace);
    // Shared spaces come from the cluster's list only: one this node opened may have been refused (quota) or deleted.
    const keys = new Set([...this.spaces.keys()].filter((key) => this.placementOf(key) === 'node'));
    for (const stored of this.store?.spaceNames() ?? []) if (!stored.includes('#')) keys.add(stored);
    for (const shared of (await this.options.shared?.list(tenant)) ?? []) keys.add(shared);
    const out: SpaceRef[] = [];
    for (const key of keys) {
      const [t, ns, name] = key.split('/');
      if (t === tenant && (namespace === undefined || ns === namespace)) out.push({ tenant: t, namespace: ns, name });
    }
    return out.sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  }

  /** How many spaces (of every tenant) the storage file holds. */
  storedSpaceCount(): number {
    return (this.store?.spaceNames() ?? []).filter((s) => !s.includes('#')).length;
  }

  /** Closes the space and deletes its tuples (and its dead letters) for good — for every node, when it is shared. */
  async delete(ref: SpaceRef): Promise<boolean> {
    const key = spaceKey(ref);
    const space = this.spaces.get(key);
    this.spaces.delete(key);
    if (this.placementOf(key) === 'shared') {
      await space?.close();
      return this.options.shared!.drop(key);
    }
    if (this.known.delete(key)) this.perTenant.set(ref.tenant, (this.perTenant.get(ref.tenant) ?? 1) - 1);
    await space?.close();
    if (this.store !== undefined) {
      const existed = this.store.spaceNames().some((s) => s === key || s === `${key}#dead-letter`);
      await this.store.dropSpace(key);
      await this.store.dropSpace(`${key}#dead-letter`);
      return existed || space !== undefined;
    }
    return space !== undefined;
  }

  private noteKnown(key: string): void {
    if (this.known.has(key)) return;
    this.known.add(key);
    const tenant = key.slice(0, key.indexOf('/'));
    this.perTenant.set(tenant, (this.perTenant.get(tenant) ?? 0) + 1);
  }

  /** Closes every space and the storage file; pending operations reject with `SpaceClosedError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.spaces.values()].map((s) => s.close()));
    this.spaces.clear();
    await this.store?.close();
  }
}

export function spaceKey(ref: SpaceRef): string {
  if (typeof ref !== 'object' || ref === null) throw new InvalidNameError('a space reference needs tenant, namespace and name');
  checkName('tenant', ref.tenant);
  checkName('namespace', ref.namespace);
  checkName('name', ref.name);
  return `${ref.tenant}/${ref.namespace}/${ref.name}`;
}

function checkName(what: string, value: unknown): void {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidNameError(`${what} must be 1–64 characters of A–Z a–z 0–9 _ . - (not starting with .), got ${shown(value)}`);
  }
}
