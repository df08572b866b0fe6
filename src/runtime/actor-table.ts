import { InvalidArgumentError } from '../errors.js';
import type { ActorPlacement, SpawnAdmission } from './actor-runtime-types.js';
import type { ModuleGrants } from './capabilities.js';
import { ToWorker } from './protocol.js';
import type { WorkerLink } from './worker-link.js';

/** A running actor as the runtime keeps it; `grants` are its module's at spawn (a redeploy or undeploy does not widen or drop what a running actor may reach). */
export interface RunningActor {
  readonly module: string;
  readonly link: WorkerLink;
  readonly intercepted: boolean;
  readonly grants: ModuleGrants;
}

/**
 * The runtime's running actors and the worker each one lives on
 * (actor-runtime.ts), kept in one place so that an actor's entry, its
 * worker's set, its admission and what the workers are told about it are
 * added and removed together.
 *
 * Placement policy: the worker that hosts the fewest actors (ties: the
 * lowest index), unless pinned. Every worker is told where an actor lives,
 * and that it is gone, so its actors can send to it directly.
 */
export class ActorTable {
  private readonly actors = new Map<string, RunningActor>();

  constructor(
    private readonly links: readonly WorkerLink[],
    private readonly admission: SpawnAdmission | undefined,
    private readonly isClosed: () => boolean,
  ) {}

  get(actorId: string): RunningActor | undefined {
    return this.actors.get(actorId);
  }

  has(actorId: string): boolean {
    return this.actors.has(actorId);
  }

  /** The worker a new actor goes to: `pinned`, or the one with the fewest actors. */
  place(pinned: number | undefined): WorkerLink {
    if (pinned !== undefined) {
      const link = this.links[pinned];
      if (link === undefined) throw new InvalidArgumentError(`worker must be in 0..${this.links.length - 1}, got ${pinned}`);
      return link;
    }
    let best = this.links[0];
    for (const link of this.links) if (link.actors.size < best.actors.size) best = link;
    return best;
  }

  /** Admits the actor (a refused quota throws) and reserves its id, so a concurrent spawn of the same id fails. */
  add(actorId: string, actor: RunningActor, reservedBytes: number): void {
    this.admission?.admit(actorId, reservedBytes);
    this.actors.set(actorId, actor);
    actor.link.actors.add(actorId);
  }

  /** Forgets a running actor and tells the workers it is gone; returns what was kept of it (undefined when it was not running). */
  remove(actorId: string): RunningActor | undefined {
    const actor = this.actors.get(actorId);
    if (actor === undefined) return undefined;
    this.actors.delete(actorId);
    this.admission?.release(actorId);
    actor.link.actors.delete(actorId);
    this.announce(actorId, null);
    return actor;
  }

  /** Tells every worker where an actor lives (or that it is gone), so their actors can send to it directly. */
  announce(actorId: string, worker: number | null): void {
    if (this.isClosed()) return;
    for (const link of this.links) link.send([ToWorker.Placement, actorId, worker ?? -1]);
  }

  placement(): ActorPlacement[] {
    return [...this.actors].map(([actorId, a]) => ({ actorId, module: a.module, worker: a.link.index }));
  }
}
