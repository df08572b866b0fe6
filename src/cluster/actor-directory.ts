import { onBackend, type RedisClient } from './redis-client.js';

/**
 * Which node runs an actor, cluster-wide: a hash per tenant in Redis,
 * `plex:dir:{<tenant>}` actor id → owner `<node id>.<incarnation>`. The
 * tenant is the hash tag, so in a Redis Cluster a tenant's directory is one
 * slot and each script below touches one key.
 *
 * An entry is claimed before the actor is activated and compared-and-set,
 * so two nodes that receive the first message for an actor at once agree
 * on one of them. An owner that died leaves its entries behind; the next
 * node that needs such an actor replaces the entry only if it still names
 * the dead owner (`claim(…, replacing)`), so two survivors again agree.
 * A node releases its entries when it stops an actor and when it stops.
 */
export type Owner = string;

const CLAIM = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or current == ARGV[3] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return ARGV[2]
end
return current
`;

const RELEASE = `
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

type DirectoryClient = RedisClient & {
  plexDirectoryClaim(key: string, actorId: string, owner: string, replacing: string): Promise<string>;
  plexDirectoryRelease(key: string, actorId: string, owner: string): Promise<number>;
};

export function directoryKey(tenant: string, prefix = 'plex:dir'): string {
  // Percent-encoded: a brace in a tenant name would otherwise end the hash tag early.
  return `${prefix}:{${encodeURIComponent(tenant)}}`;
}

/** The tenant of a runtime actor id `tenant/namespace/name`. */
export function tenantOf(actorId: string): string {
  const slash = actorId.indexOf('/');
  return slash < 0 ? 'default' : actorId.slice(0, slash);
}

export class ActorDirectory {
  private readonly client: DirectoryClient;
  /** The entries this node claimed and has not released: what it gives up when it stops. */
  private readonly mine = new Set<string>();

  constructor(
    client: RedisClient,
    /** This node: `<id>.<incarnation>`. */
    readonly self: Owner,
    /**
     * Whose directory: actors (`plex:dir`), or another kind of thing a node
     * owns cluster-wide under a tenant-qualified id (shard groups:
     * src/cluster/cluster-groups.ts).
     */
    private readonly prefix = 'plex:dir',
  ) {
    if (typeof (client as unknown as Record<string, unknown>).plexDirectoryClaim !== 'function') {
      client.defineCommand('plexDirectoryClaim', { numberOfKeys: 1, lua: CLAIM });
      client.defineCommand('plexDirectoryRelease', { numberOfKeys: 1, lua: RELEASE });
    }
    this.client = client as DirectoryClient;
  }

  /** The actor's owner, or undefined when no node claims it. */
  async lookup(actorId: string): Promise<Owner | undefined> {
    const owner = await onBackend('look up an actor', () => this.client.hget(directoryKey(tenantOf(actorId), this.prefix), actorId));
    return owner ?? undefined;
  }

  /**
   * Claims the actor for this node when nobody has it, or when it is still
   * `replacing`'s (a dead owner). Resolves with the owner afterwards: this
   * node when the claim held, else the node that has it.
   */
  async claim(actorId: string, replacing: Owner | undefined = undefined): Promise<Owner> {
    const owner = await onBackend('claim an actor', () => this.client.plexDirectoryClaim(directoryKey(tenantOf(actorId), this.prefix), actorId, this.self, replacing ?? ''));
    if (owner === this.self) this.mine.add(actorId);
    return owner;
  }

  /**
   * Claims the actor for `owner`, another node that placement picked
   * (src/cluster/placement.ts), on the same terms as `claim`. Resolves with
   * the owner afterwards: `owner`, or whichever node had it first.
   */
  async claimFor(actorId: string, owner: Owner, replacing: Owner | undefined = undefined): Promise<Owner> {
    if (owner === this.self) return this.claim(actorId, replacing);
    return onBackend('claim an actor', () => this.client.plexDirectoryClaim(directoryKey(tenantOf(actorId), this.prefix), actorId, owner, replacing ?? ''));
  }

  /** Counts as this node's claim an entry another node made for it (`claimFor`): it is released when the actor stops or the node does. */
  adopt(actorId: string): void {
    this.mine.add(actorId);
  }

  /** Every entry of a tenant's directory, actor id → owner (a listing: `plexspaces actors --where`, not a hot path). */
  async entries(tenant: string): Promise<Map<string, Owner>> {
    const key = directoryKey(tenant, this.prefix);
    const entries = new Map<string, Owner>();
    let cursor = '0';
    do {
      const [next, flat] = await onBackend('list the actor directory', () => this.client.hscan(key, cursor, 'COUNT', 1000));
      for (let i = 0; i < flat.length; i += 2) entries.set(flat[i], flat[i + 1]);
      cursor = next;
    } while (cursor !== '0');
    return entries;
  }

  /** Gives up this node's entry for the actor (left alone when another node has taken it over). */
  async release(actorId: string): Promise<void> {
    this.mine.delete(actorId);
    await onBackend('release an actor', () => this.client.plexDirectoryRelease(directoryKey(tenantOf(actorId), this.prefix), actorId, this.self));
  }

  /** Whether this node claimed the actor (and has not released it). */
  claimedHere(actorId: string): boolean {
    return this.mine.has(actorId);
  }

  /** The actors this node claimed. */
  claimedIds(): string[] {
    return [...this.mine];
  }

  /** Forgets a claim that another node has taken over (nothing is written: the entry is no longer ours). */
  dropClaim(actorId: string): void {
    this.mine.delete(actorId);
  }

  /** Releases every entry this node claimed (a graceful stop: other nodes take its actors over at once). */
  async releaseAll(): Promise<void> {
    const ids = [...this.mine];
    this.mine.clear();
    await Promise.allSettled(ids.map((id) => this.client.plexDirectoryRelease(directoryKey(tenantOf(id), this.prefix), id, this.self)));
  }
}
