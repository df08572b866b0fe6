import { ActorExistsError } from '../errors.js';
import type { SpawnRegistry } from '../runtime/actor-runtime-types.js';
import type { ActorDirectory } from './actor-directory.js';
import { peerNode } from './link/node-link.js';

/**
 * Actors that actors spawn (the `spawn` host call), made the cluster's: the
 * id is claimed in the actor directory before the actor starts, so every
 * node reaches it — ask, tell, stop, link and monitor through any node —
 * and released when it exits, so the directory holds no dead spawns.
 * Generated ids carry this node's incarnation, so two nodes never generate
 * the same one; a name the caller chose that another node's actor holds is
 * refused with PLEX_ERR_ACTOR_EXISTS, as on one node.
 */
export class ClusterSpawns implements SpawnRegistry {
  readonly idTag: string;
  private readonly spawned = new Set<string>();

  constructor(
    private readonly directory: ActorDirectory,
    incarnation: string,
    /** Whether a node that holds an entry is alive: a dead one's entry is taken over (a restarted node's tree, a respawn after a crash). */
    private readonly isLive: (owner: string) => Promise<boolean> = async () => true,
  ) {
    this.idTag = incarnation.slice(0, 8);
  }

  async claim(actorId: string): Promise<void> {
    let owner = await this.directory.claim(actorId);
    if (owner !== this.directory.self && !(await this.isLive(owner))) owner = await this.directory.claim(actorId, owner);
    if (owner !== this.directory.self) {
      const error = new ActorExistsError(actorId);
      throw Object.assign(error, { message: `${error.message} on node ${peerNode(owner)}` });
    }
    this.spawned.add(actorId);
  }

  unclaim(actorId: string): void {
    this.exited(actorId);
  }

  /** An actor of this node exited: if it was a spawn, its entry goes. */
  exited(actorId: string): void {
    if (!this.spawned.delete(actorId)) return;
    this.directory.release(actorId).catch(() => undefined); // a node that cannot reach Redis releases at stop (releaseAll) or its entries name a dead owner
  }
}
