import { join } from 'node:path';
import { InvalidNameError, QuotaExceededError, SpaceClosedError, shown } from '../errors.js';
import type { TupleSpaceOptions } from './options.js';
import { SqliteStore, type SqliteSynchronous } from './storage/sqlite-store.js';
import { TupleSpace } from './tuple-space.js';

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
}

/** Tenant, namespace and space names: 1–64 of `A–Z a–z 0–9 _ . -`, not starting with `.`. */
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;

/**
 * Named tuple spaces keyed by tenant / namespace / name. Every access names
 * the tenant, and a tenant's listing shows only its own spaces, so one
 * tenant cannot reach another's tuples through the registry.
 */
export class SpaceRegistry {
  private readonly spaces = new Map<string, TupleSpace>();
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

  /** The space named by `ref`, created (or reloaded from disk) on first use. */
  open(ref: SpaceRef): TupleSpace {
    if (this.closed) throw new SpaceClosedError('the space registry is closed');
    const key = spaceKey(ref);
    let space = this.spaces.get(key);
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

  /** The spaces open now, with their references (for metrics). */
  openSpaces(): { ref: SpaceRef; space: TupleSpace }[] {
    return [...this.spaces.entries()].map(([key, space]) => {
      const [tenant, namespace, name] = key.split('/');
      return { ref: { tenant, namespace, name }, space };
    });
  }

  /** The space if it is open now. */
  get(ref: SpaceRef): TupleSpace | undefined {
    return this.spaces.get(spaceKey(ref));
  }

  /** The spaces of one tenant (optionally one namespace), open or stored on disk. */
  list(tenant: string, namespace?: string): SpaceRef[] {
    checkName('tenant', tenant);
    if (namespace !== undefined) checkName('namespace', namespace);
    const keys = new Set(this.spaces.keys());
    for (const stored of this.store?.spaceNames() ?? []) if (!stored.includes('#')) keys.add(stored);
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

  /** Closes the space and deletes its tuples (and its dead letters) for good. */
  async delete(ref: SpaceRef): Promise<boolean> {
    const key = spaceKey(ref);
    const space = this.spaces.get(key);
    this.spaces.delete(key);
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
