import { BackendUnavailableError, ErrorCode, NodeDownError, PlexError } from '../errors.js';
import type { ActorDirectory, Owner } from './actor-directory.js';
import type { NodeLink } from './link/node-link.js';
import { peerNode } from './link/node-link.js';
import type { NodeLinks } from './link/node-links.js';
import { pickNode, type Placement, type PlacementCandidate } from './placement.js';

/** What the router needs to know about an actor this node would place: whether its state outlives its node, and where it may run. */
export interface Activation {
  readonly survives: boolean;
  readonly placement?: Placement;
}

/** The cluster's live nodes as placement sees them (the registry's view), and this node among them. */
export interface PlacementView {
  readonly self: PlacementCandidate;
  nodes(): readonly PlacementCandidate[];
}

/** How long placements this node made count as load on their node: until that node's next heartbeats report them. */
const RECENT_PLACEMENT_MS = 5_000;

/**
 * Where a message for an actor goes in a cluster: this node, or the link to
 * the node the directory names. Owners are cached per actor id (a remote
 * ask then costs no Redis round trip); a cached owner is forgotten when it
 * leaves the registry or answers that the actor has moved.
 *
 * An actor nobody runs is claimed for this node (it is activated here, as
 * on a node alone). An owner that is gone is replaced only for actors whose
 * state outlives their node (durable actors, whose journal is in Redis, and
 * virtual actors): for the others the message fails with
 * PLEX_ERR_NODE_DOWN — their state died with the node, and starting them
 * afresh elsewhere would hide that.
 */
export class ActorRouter {
  private readonly owners = new Map<string, Owner>();
  /** Actors being moved off this node by a drain: calls for them wait until they are gone, then look them up again. */
  private readonly leaving = new Map<string, Promise<void>>();
  /** Placements this node made on other nodes lately (owner → times): load their heartbeats do not show yet. */
  private readonly recent = new Map<Owner, number[]>();

  constructor(
    readonly directory: ActorDirectory,
    readonly links: NodeLinks,
    /** Whether this node can prove it is still a member (its registry heartbeat holds: NodeRegistry.provesMembership). */
    private readonly isMember: () => boolean = () => true,
    /** Where actors may be placed; without it every actor this node claims runs here. */
    private readonly view?: PlacementView,
  ) {}

  /**
   * A node whose heartbeat Redis has not accepted for a TTL (cut off from
   * Redis, or stalled) may already be dead to the others, who then take
   * over its actors: until it has joined again it claims nothing and serves
   * none of the actors it claimed, so two nodes never both act as an
   * actor's owner. Actors it did not claim (spawned, supervised) are its own.
   */
  mayServe(actorId: string): void {
    if (!this.directory.claimedHere(actorId)) return;
    this.assertMember();
    if (this.rejoining) throw new BackendUnavailableError('this node has just joined the cluster again and is checking which of its actors other nodes took over meanwhile: try again in a moment');
  }

  /** Set from a rejoin until reconcile has run: claimed actors are not served meanwhile (they may be stale copies). */
  private rejoining = false;

  /** Called (synchronously) when the registry says this node joined again after being declared dead. */
  markRejoining(): void {
    this.rejoining = true;
  }

  /**
   * After this node joined again (it had been declared dead): stops the
   * actors it claimed that the directory now gives to another node — or to
   * none — so a stale copy never answers again. Resolves with how many.
   */
  async reconcile(stop: (actorId: string) => Promise<void>): Promise<number> {
    let stopped = 0;
    for (const actorId of this.directory.claimedIds()) {
      const owner = await this.directory.lookup(actorId);
      if (owner === this.self) continue;
      this.directory.dropClaim(actorId);
      this.owners.delete(actorId);
      await stop(actorId).catch(() => undefined);
      stopped++;
    }
    // Only once every claim was checked (a lookup that failed leaves the node refusing, and the next rejoin retries).
    this.rejoining = false;
    return stopped;
  }

  private assertMember(): void {
    if (!this.isMember()) {
      throw new BackendUnavailableError(
        'this node cannot prove it is still in the cluster (Redis has accepted no heartbeat from it within its TTL): the other nodes may have taken over its actors, so it serves none of them until it has joined again',
      );
    }
  }

  get self(): Owner {
    return this.directory.self;
  }

  /**
   * 'here', or the link to the node that runs (or has just claimed) the
   * actor. `activation` is asked only when this node would claim the actor:
   * it throws when this node cannot activate it (no application for the
   * id here), says whether the actor's state outlives its node, and where
   * it may run (the node it is claimed for: src/cluster/placement.ts).
   */
  async where(actorId: string, activation: () => Activation): Promise<'here' | NodeLink> {
    this.assertMember();
    let owner = this.owners.get(actorId) ?? (await this.directory.lookup(actorId));
    for (let attempt = 0; attempt < 3; attempt++) {
      if (owner === undefined) owner = await this.place(actorId, activation().placement);
      if (owner === this.self) {
        this.owners.set(actorId, owner);
        return 'here';
      }
      if (await this.links.liveNow(owner)) {
        this.owners.set(actorId, owner);
        try {
          return await this.links.to(owner);
        } catch (error) {
          this.owners.delete(actorId);
          throw error;
        }
      }
      this.owners.delete(actorId);
      const { survives, placement } = activation();
      if (!survives) throw new NodeDownError(peerNode(owner), `it ran actor ${actorId}, whose state was not kept outside that node`);
      owner = await this.place(actorId, placement, owner);
    }
    throw new PlexError(ErrorCode.ActorMoved, `actor ${actorId} kept moving between nodes while it was looked up`);
  }

  /**
   * Claims an actor nobody runs (or whose owner `replacing` is gone) for the
   * node its placement picks; resolves with whoever owns it afterwards (two
   * nodes placing at once agree on the first claim).
   */
  private async place(actorId: string, placement: Placement | undefined, replacing?: Owner): Promise<Owner> {
    const view = this.view;
    if (view === undefined) return this.directory.claim(actorId, replacing);
    const now = performance.now();
    const ownerOf = (node: PlacementCandidate) => `${node.id}.${node.incarnation}`;
    const nodes = view.nodes().filter((node) => ownerOf(node) !== replacing);
    const picked = ownerOf(pickNode(actorId, placement, nodes, view.self, (node) => this.recentlyPlaced(ownerOf(node), now)));
    const owner = await this.directory.claimFor(actorId, picked, replacing);
    if (owner === picked) this.recent.set(picked, [...(this.recent.get(picked) ?? []), now]);
    return owner;
  }

  private recentlyPlaced(owner: Owner, now: number): number {
    const times = this.recent.get(owner);
    if (times === undefined) return 0;
    const fresh = times.filter((t) => now - t < RECENT_PLACEMENT_MS);
    if (fresh.length === 0) this.recent.delete(owner);
    else this.recent.set(owner, fresh);
    return fresh.length;
  }

  /** Resolves once `actorId` is no longer leaving this node (at once when it is not). */
  async departed(actorId: string): Promise<void> {
    await this.leaving.get(actorId);
  }

  /**
   * Moves this node's claimed actors elsewhere before a planned stop: each
   * actor `survives` says outlives its node (durable, virtual) is stopped
   * the graceful way (`stop`: a checkpoint, a virtual actor's save) and its
   * entry released, so its next message activates it on another node with
   * its state; calls arriving meanwhile wait for it to be gone. Actors
   * whose state lives only here are kept (moving them would lose it).
   * Placement must already exclude this node (NodeRegistry.drain).
   */
  async drain(survives: (actorId: string) => boolean, stop: (actorId: string) => Promise<void>): Promise<{ moved: string[]; kept: string[] }> {
    const moved: string[] = [];
    const kept: string[] = [];
    for (const actorId of this.directory.claimedIds()) {
      let movable: boolean;
      try {
        movable = survives(actorId);
      } catch {
        movable = false; // no application for it here any more: nothing to reactivate it from elsewhere either
      }
      if (!movable) {
        kept.push(actorId);
        continue;
      }
      const gone = (async () => {
        try {
          await stop(actorId);
        } finally {
          this.owners.delete(actorId);
          await this.directory.release(actorId);
        }
      })();
      this.leaving.set(actorId, gone.catch(() => undefined));
      try {
        await gone;
        moved.push(actorId);
      } finally {
        this.leaving.delete(actorId);
      }
    }
    return { moved, kept };
  }

  /**
   * The owner of an actor that runs on another node, from the cache or the
   * directory (cached then); undefined when no node claims it. What an
   * actor's own sends and asks use: a burst of sends costs one lookup.
   */
  /** The cached owner of an actor of another node, if any (no Redis). */
  cachedOwner(actorId: string): Owner | undefined {
    return this.owners.get(actorId);
  }

  async ownerOf(actorId: string): Promise<Owner | undefined> {
    const cached = this.owners.get(actorId);
    if (cached !== undefined) return cached;
    const owner = await this.directory.lookup(actorId);
    if (owner !== undefined && owner !== this.self) this.owners.set(actorId, owner);
    return owner;
  }

  /** Forgets the cached owner (it answered PLEX_ERR_ACTOR_MOVED, or the actor stopped). */
  forget(actorId: string): void {
    this.owners.delete(actorId);
  }

  /** Forgets every actor cached as `owner`'s (it left the cluster). */
  forgetOwner(owner: Owner): void {
    for (const [actorId, cached] of this.owners) if (cached === owner) this.owners.delete(actorId);
  }

  /**
   * On the node a message was forwarded to: whether the actor is this
   * node's to run. True when it claims it now (nobody had it); false when
   * the directory names another node.
   */
  async ownsHere(actorId: string): Promise<boolean> {
    this.assertMember();
    const owner = (await this.directory.lookup(actorId)) ?? (await this.directory.claim(actorId));
    if (owner === this.self) {
      this.owners.set(actorId, owner);
      // Placement on another node may have claimed it for this one: this node releases it as its own.
      this.directory.adopt(actorId);
    }
    return owner === this.self;
  }
}
