import { ActorExistsError, ErrorCode, InvalidArgumentError, ModuleNotFoundError, NodeDownError, PlexError } from '../errors.js';
import type { ActorRuntime } from '../runtime/actor-runtime.js';
import { toBytes } from '../runtime/protocol.js';
import type { ShardHost, ShardSpec } from '../shard/shard-host.js';
import type { ActorDirectory, Owner } from './actor-directory.js';
import type { NodeLink } from './link/node-link.js';
import { peerNode } from './link/node-link.js';
import type { NodeLinks } from './link/node-links.js';
import type { NodeRegistry } from './node-registry.js';

/** How long a node may take to start a shard for another node's group (it may first install the application). */
const REMOTE_SPAWN_DEADLINE_MS = 60_000;

/**
 * Shard groups over the nodes of a cluster (docs/shard-groups.md, "Across
 * nodes"): the node that creates a group drives it, and its shards run on
 * every live node that is not draining — each new shard on the node with the
 * fewest of the group's shards, so a group is spread evenly and `scale`
 * after a node joined puts the new shards there.
 *
 * A shard on another node is claimed in the actor directory by the node that
 * runs it (so any node reaches it, and its entry goes when it exits), and is
 * reached over the link to that node: sends are one-way notifies and asks
 * requests on the same link, so the messages to one shard keep their order —
 * what rebalancing relies on (every write sent before `keys` is applied
 * before it). That node restarts the shard when it crashes; when the node
 * itself leaves the cluster, its shards are reported lost and the group
 * starts them again on the survivors (their keys went with the node: shard
 * state lives in the shard).
 */
export class ClusterShards implements ShardHost {
  /** The node each shard of this node's groups runs on. */
  private readonly placed = new Map<string, Owner>();
  /** Shards other nodes' groups started here, and which node drives each: restarted here when they crash, stopped when that node leaves. */
  private readonly hosted = new Map<string, { spec: ShardSpec; driver: Owner }>();
  private readonly lostListeners = new Set<(actorId: string, why: string) => void>();
  private readonly evictListeners = new Set<(actorIds: readonly string[]) => Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly runtime: ActorRuntime,
    private readonly links: NodeLinks,
    private readonly registry: NodeRegistry,
    private readonly directory: ActorDirectory,
    /** Installs the tenant's applications from the cluster (a shard's module may have been deployed through another node). */
    private readonly syncApplications: (tenant: string) => Promise<number> = async () => 0,
  ) {
    this.unsubscribe.push(
      runtime.onCrash((report) => {
        const hosted = this.hosted.get(report.actorId);
        if (hosted !== undefined) {
          // The claim stays while the shard restarts: its group keeps reaching it here.
          if (hosted.spec.restartCrashed) void this.runtime.spawn(hosted.spec.module, { id: hosted.spec.id, config: hosted.spec.config, worker: report.worker }).catch(() => this.dropHosted(report.actorId));
          else this.dropHosted(report.actorId);
          return;
        }
        if (this.placed.get(report.actorId) === this.self) {
          this.directory.release(report.actorId).catch(() => undefined);
          this.lost(report.actorId, report.error.message);
        }
      }),
      registry.onChange((event) => {
        if (event.type !== 'leave') return;
        const owner = `${event.node.id}.${event.node.incarnation}`;
        for (const [actorId, placedOn] of this.placed) {
          if (placedOn === owner) this.lost(actorId, `its node ${event.node.id} left the cluster (${event.reason})`);
        }
        // Shards of a group whose node is gone have nobody to answer: they stop (a restarted node creates its groups afresh).
        for (const [actorId, hosted] of this.hosted) {
          if (hosted.driver === owner) void this.runtime.stop(actorId).catch(() => undefined).finally(() => this.dropHosted(actorId));
        }
      }),
    );
  }

  private get self(): Owner {
    return this.links.self;
  }

  async spawn(spec: ShardSpec, index: number, siblings: readonly string[]): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const owner = this.pick(index, siblings);
      const onNode = siblings.filter((id) => this.placed.get(id) === owner).length;
      try {
        if (owner === this.self) {
          await this.startHere(spec, onNode % this.runtime.workerCount);
        } else {
          const link = await this.links.to(owner);
          await link.request('shard.spawn', { ...spec, worker: onNode }, REMOTE_SPAWN_DEADLINE_MS);
        }
      } catch (error) {
        // A node that began draining after this node's last read of the membership refuses: read it again and place anew.
        if ((error as { code?: string }).code !== ErrorCode.NoMatchingNode || attempt >= 2) throw error;
        await this.registry.refresh().catch(() => undefined);
        continue;
      }
      this.placed.set(spec.id, owner);
      return spec.id;
    }
  }

  ask(actorId: string, type: string, payload: Uint8Array | string, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<Uint8Array> {
    const owner = this.placed.get(actorId);
    if (owner === undefined || owner === this.self) return this.runtime.ask(actorId, type, payload, options);
    const timeoutMs = options.timeoutMs ?? 5_000;
    const call = { to: actorId, type, payload: toBytes(payload), timeoutMs, from: '' };
    // On the open link at once (in order with the sends before it); the link's deadline is a backstop: the other node answers PLEX_ERR_ASK_TIMEOUT first.
    const open = this.links.existing(owner);
    const reply = open !== undefined ? open.request('actor.ask', call, timeoutMs + 5_000) : this.reopen(owner, actorId).then((link) => link.request('actor.ask', call, timeoutMs + 5_000));
    return reply.then((bytes) => {
      if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('the other node answered a shard ask with something other than bytes');
      return bytes;
    });
  }

  tell(actorId: string, type: string, payload: Uint8Array | string): void {
    const owner = this.placed.get(actorId);
    if (owner === undefined || owner === this.self) {
      this.runtime.tell(actorId, type, payload);
      return;
    }
    const message = [actorId, type, toBytes(payload), ''];
    const open = this.links.existing(owner);
    if (open !== undefined) open.notify('actor.send', message);
    // Dropped, as a send to a dead process is, when its node is gone (the shard is then reported lost).
    else void this.reopen(owner, actorId).then((link) => link.notify('actor.send', message), () => undefined);
  }

  async stop(actorId: string): Promise<void> {
    const owner = this.placed.get(actorId);
    this.placed.delete(actorId);
    if (owner === undefined || owner === this.self) {
      try {
        await this.runtime.stop(actorId);
      } finally {
        if (owner === this.self) await this.directory.release(actorId);
      }
      return;
    }
    // A node that is gone took the shard with it; a live one is dialed if need be, or the shard would keep running there.
    if (!(await this.links.liveNow(owner))) return;
    const link = await this.links.to(owner);
    await link.request('shard.stop', { id: actorId }, REMOTE_SPAWN_DEADLINE_MS);
  }

  onLost(listener: (actorId: string, why: string) => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  onEvict(listener: (actorIds: readonly string[]) => Promise<void>): () => void {
    this.evictListeners.add(listener);
    return () => this.evictListeners.delete(listener);
  }

  /**
   * Before a planned stop (`plexspaces drain`; placement already excludes
   * this node): every shard running here moves to the other nodes — this
   * node's groups move theirs, and each node whose group has shards here
   * is asked to move those. Resolves with the shards moved; a group that
   * cannot move one rejects with its reason.
   */
  async drain(options: { ownGroups: boolean } = { ownGroups: true }): Promise<string[]> {
    const own = options.ownGroups ? [...this.placed].filter(([, owner]) => owner === this.self).map(([actorId]) => actorId) : [];
    const byDriver = new Map<Owner, string[]>();
    for (const [actorId, { driver }] of this.hosted) byDriver.set(driver, [...(byDriver.get(driver) ?? []), actorId]);
    await Promise.all([
      this.evict(own),
      ...[...byDriver].map(async ([driver, actorIds]) => {
        const link = await this.links.to(driver);
        await link.request('shard.evict', { ids: actorIds }, 10 * 60_000);
      }),
    ]);
    return [...own, ...[...byDriver.values()].flat()];
  }

  private async evict(actorIds: readonly string[]): Promise<void> {
    if (actorIds.length === 0) return;
    await Promise.all([...this.evictListeners].map((listener) => listener(actorIds)));
  }

  nodeOf(actorId: string): string | undefined {
    const owner = this.placed.get(actorId);
    return owner === undefined ? undefined : peerNode(owner);
  }

  /**
   * On the node asked to run a shard of another node's group (`peer`):
   * `shard.spawn` and `shard.stop`; on a group's node, `shard.evict` from a
   * node that drains (its groups move those shards).
   */
  async serve(kind: string, body: unknown, peer: Owner): Promise<unknown> {
    if (kind === 'shard.evict') {
      const ids = (body as { ids?: unknown } | null)?.ids;
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw new InvalidArgumentError('shard.evict needs ids, an array of shard ids');
      // The asking node has just marked itself draining: read the membership so placement sees it.
      await this.registry.refresh().catch(() => undefined);
      // Only shards this node placed on the asking node.
      await this.evict(ids.filter((id: string) => this.placed.get(id) === peer));
      return null;
    }
    const call = body as Partial<ShardSpec> & { worker?: unknown } | null;
    if (call === null || typeof call !== 'object' || typeof call.id !== 'string') throw new InvalidArgumentError(`${kind} from another node needs a shard id`);
    if (kind === 'shard.stop') {
      if (this.hosted.get(call.id)?.driver !== peer) return null; // not that node's shard (any more)
      this.hosted.delete(call.id);
      try {
        if (this.runtime.has(call.id)) await this.runtime.stop(call.id);
      } finally {
        await this.directory.release(call.id);
      }
      return null;
    }
    if (typeof call.module !== 'string' || (call.config !== undefined && typeof call.config !== 'string') || typeof call.restartCrashed !== 'boolean') {
      throw new InvalidArgumentError('shard.spawn needs module, restartCrashed and an optional config string');
    }
    if (call.memory !== undefined) throw new InvalidArgumentError('a shard on shared memory runs on its group’s node only');
    // The group's node may not have seen the drain yet: it places the shard again (on a fresh view).
    if (this.registry.draining) throw new PlexError(ErrorCode.NoMatchingNode, `node ${this.registry.self.id} is draining: it takes no new shards`);
    const spec: ShardSpec = { module: call.module, id: call.id, config: call.config, restartCrashed: call.restartCrashed };
    if (!this.runtime.hasModule(spec.module)) {
      // Shard ids are `tenant/namespace/group/shard-i` (server/group-calls.ts): the tenant whose applications to read.
      await this.syncApplications(spec.id.split('/')[0]);
      if (!this.runtime.hasModule(spec.module)) throw new ModuleNotFoundError(spec.module);
    }
    const worker = typeof call.worker === 'number' && Number.isSafeInteger(call.worker) && call.worker >= 0 ? call.worker % this.runtime.workerCount : undefined;
    await this.startHere(spec, worker);
    this.hosted.set(spec.id, { spec, driver: peer });
    return null;
  }

  close(): void {
    for (const stop of this.unsubscribe) stop();
  }

  /**
   * Claims the shard's id for this node and starts it. An entry left by a
   * node that is gone (the shard's last node died, or this group's node
   * restarted) is replaced; one a live node holds is PLEX_ERR_ACTOR_EXISTS.
   */
  private async startHere(spec: ShardSpec, worker: number | undefined): Promise<void> {
    let owner = await this.directory.claim(spec.id);
    if (owner !== this.self && !(await this.links.liveNow(owner))) owner = await this.directory.claim(spec.id, owner);
    if (owner !== this.self) {
      const error = new ActorExistsError(spec.id);
      throw Object.assign(error, { message: `${error.message} on node ${peerNode(owner)}` });
    }
    try {
      await this.runtime.spawn(spec.module, { id: spec.id, config: spec.config, memory: spec.memory, worker });
    } catch (error) {
      await this.directory.release(spec.id).catch(() => undefined);
      throw error;
    }
  }

  private dropHosted(actorId: string): void {
    this.hosted.delete(actorId);
    this.directory.release(actorId).catch(() => undefined);
  }

  /** The live, undrained node with the fewest of the group's shards (ties broken by shard index, so a new group is dealt round-robin). */
  private pick(index: number, siblings: readonly string[]): Owner {
    const candidates = this.registry
      .nodes()
      .filter((node) => !(node.id === this.registry.self.id ? this.registry.draining : node.draining === true))
      .map((node) => `${node.id}.${node.incarnation}`)
      .sort();
    if (candidates.length === 0) return this.self;
    const count = new Map(candidates.map((owner) => [owner, 0]));
    for (const id of siblings) {
      const owner = this.placed.get(id);
      if (owner !== undefined && count.has(owner)) count.set(owner, count.get(owner)! + 1);
    }
    const fewest = Math.min(...count.values());
    const least = candidates.filter((owner) => count.get(owner) === fewest);
    return least[index % least.length];
  }

  /** The link to a shard's node when none is open: dialed again while the node is alive, PLEX_ERR_NODE_DOWN once it is not. */
  private async reopen(owner: Owner, actorId: string): Promise<NodeLink> {
    if (!(await this.links.liveNow(owner))) throw new NodeDownError(peerNode(owner), `it ran shard ${actorId}`);
    return this.links.to(owner);
  }

  private lost(actorId: string, why: string): void {
    this.placed.delete(actorId);
    for (const listener of this.lostListeners) listener(actorId, why);
  }
}
