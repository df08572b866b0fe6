import { ShardGroupExistsError, ShardGroupNotFoundError } from '../errors.js';
import type { ActorRuntime } from '../runtime/actor-runtime.js';
import { ShardGroup, type ShardGroupOptions } from './shard-group.js';
import type { ShardHost } from './shard-host.js';

export interface ShardGroupInfo {
  readonly id: string;
  readonly module: string;
  readonly shards: number;
  readonly partition: string;
  readonly codec: string;
  readonly rebalancing: boolean;
  /** The node each shard runs on, in shard order; null for a shard not running now (lost with its node, starting again) or a host that does not say. */
  readonly nodes: (string | null)[];
}

/** The shard groups of one runtime, by id: create, get, list, delete. */
export class ShardGroupRegistry {
  private readonly groups = new Map<string, ShardGroup>();
  /** Ids being created, so two concurrent creates of one id cannot both spawn shards. */
  private readonly creating = new Set<string>();
  constructor(
    private readonly runtime: ActorRuntime,
    /** Where groups run their shards: by default the runtime's workers. */
    private host?: ShardHost,
  ) {}

  /** Groups created from now on run their shards through `host` (a node of a cluster: over every node). */
  placeShardsWith(host: ShardHost): void {
    this.host = host;
  }

  async create(options: ShardGroupOptions): Promise<ShardGroup> {
    if (this.groups.has(options.id) || this.creating.has(options.id)) throw new ShardGroupExistsError(options.id);
    this.creating.add(options.id);
    try {
      const group = await ShardGroup.create(this.runtime, { host: this.host, ...options });
      this.groups.set(group.id, group);
      return group;
    } finally {
      this.creating.delete(options.id);
    }
  }

  /** Moves the shards this node runs to the other nodes of its cluster (`plexspaces drain`); none on a node alone. */
  async drainShards(options: { ownGroups: boolean } = { ownGroups: true }): Promise<string[]> {
    return (await this.host?.drain?.(options)) ?? [];
  }

  get(id: string): ShardGroup {
    const group = this.groups.get(id);
    if (group === undefined) throw new ShardGroupNotFoundError(id);
    return group;
  }

  has(id: string): boolean {
    return this.groups.has(id);
  }

  list(): ShardGroupInfo[] {
    return [...this.groups.values()].map((g) => ({
      id: g.id,
      module: g.module,
      shards: g.shardCount,
      partition: g.partitionKind,
      codec: g.codec.name,
      rebalancing: g.rebalancing,
      nodes: g.shardNodes.map((node) => node ?? null),
    }));
  }

  /** Stops the group's shards and forgets it. */
  async delete(id: string): Promise<void> {
    const group = this.get(id);
    this.groups.delete(id);
    await group.delete();
  }

  async deleteAll(): Promise<void> {
    await Promise.all([...this.groups.keys()].map((id) => this.delete(id)));
  }
}
