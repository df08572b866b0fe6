import { ShardGroupExistsError, ShardGroupNotFoundError } from '../errors.js';
import type { ActorRuntime } from '../runtime/actor-runtime.js';
import { ShardGroup, type ShardGroupOptions } from './shard-group.js';

export interface ShardGroupInfo {
  readonly id: string;
  readonly module: string;
  readonly shards: number;
  readonly partition: string;
  readonly codec: string;
  readonly rebalancing: boolean;
}

/** The shard groups of one runtime, by id: create, get, list, delete. */
export class ShardGroupRegistry {
  private readonly groups = new Map<string, ShardGroup>();
  /** Ids being created, so two concurrent creates of one id cannot both spawn shards. */
  private readonly creating = new Set<string>();

  constructor(private readonly runtime: ActorRuntime) {}

  async create(options: ShardGroupOptions): Promise<ShardGroup> {
    if (this.groups.has(options.id) || this.creating.has(options.id)) throw new ShardGroupExistsError(options.id);
    this.creating.add(options.id);
    try {
      const group = await ShardGroup.create(this.runtime, options);
      this.groups.set(group.id, group);
      return group;
    } finally {
      this.creating.delete(options.id);
    }
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
