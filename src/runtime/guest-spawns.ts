import { ActorCrashedError, ActorExistsError, ErrorCode, InvalidArgumentError, ModuleNotFoundError } from '../errors.js';
import { resolveActorRef, resolveModuleRef } from './actor-address.js';
import { TASK_PREFIX, type CrashReport, type SpawnRegistry } from './actor-runtime-types.js';

/** What a guest spawn needs of the runtime (actor-runtime.ts). */
export interface GuestSpawnHost {
  /** The module an actor runs, if it runs. */
  moduleOf(actorId: string): string | undefined;
  hasModule(name: string): boolean;
  isRunning(actorId: string): boolean;
  /** The runtime's next actor number, for generated ids. */
  nextNumber(): number;
  start(moduleName: string, id: string, config: Uint8Array): Promise<string>;
  reportCrash(report: CrashReport): void;
}

/**
 * Spawns for the `spawn` host call: checks what can be checked now, starts
 * the spawn and returns the id without waiting — the calling actor's worker
 * is blocked in the call and may be the one that must run the new actor.
 * Messages sent to the id queue behind the spawn; a failing init is
 * reported as a crash.
 *
 * With a `SpawnRegistry` (a node of a cluster: src/cluster/cluster-spawns.ts)
 * a generated id carries the node's tag (two nodes never generate the same
 * one), and every id is claimed in the directory before the actor starts,
 * so any node reaches it and a name another node's actor holds is refused;
 * the id is then returned once the claim is made.
 */
export class GuestSpawns {
  private registry: SpawnRegistry | undefined;

  constructor(private readonly host: GuestSpawnHost) {}

  registerWith(registry: SpawnRegistry): void {
    this.registry = registry;
  }

  spawn(moduleRef: string, actorId: string, config: Uint8Array, caller: string): string | Promise<string> {
    const host = this.host;
    // Both names are resolved in the caller's tenant: a tenant's actor can neither run another tenant's module nor take an id in its scope.
    const moduleName = resolveModuleRef(caller, host.moduleOf(caller), moduleRef, (name) => host.hasModule(name));
    if (!host.hasModule(moduleName)) throw new ModuleNotFoundError(moduleName);
    const registry = this.registry;
    const generated = `${moduleName.slice(moduleName.lastIndexOf(':') + 1)}-${host.nextNumber()}${registry === undefined ? '' : `-${registry.idTag}`}`;
    const id = resolveActorRef(caller, actorId === '' ? generated : actorId);
    if (id.startsWith(TASK_PREFIX)) throw new InvalidArgumentError(`actor ids starting with ${TASK_PREFIX} are reserved for task instances`);
    if (host.isRunning(id)) throw new ActorExistsError(id);
    const start = () => {
      // Synchronous checks (a quota among them) throw here, to the caller; only init failures come later, as crashes.
      host.start(moduleName, id, config).catch((error: unknown) => {
        const crash = error instanceof ActorCrashedError ? error : new ActorCrashedError(ErrorCode.ActorFailed, id, (error as Error).message);
        host.reportCrash({ actorId: id, module: moduleName, worker: -1, error: crash });
      });
      return id;
    };
    if (registry === undefined) return start();
    return registry.claim(id).then(() => {
      try {
        if (host.isRunning(id)) throw new ActorExistsError(id);
        return start();
      } catch (error) {
        registry.unclaim(id);
        throw error;
      }
    });
  }
}
