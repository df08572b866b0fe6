import { InvalidArgumentError, InvalidModuleError, shown } from '../errors.js';
import type { ComponentModule } from './component-module.js';
import { SHARED_SLOT_BYTES } from './core-abi.js';
import type { CoreModule } from './core-module.js';
import type { WorkerLink } from './worker-link.js';

/** A validated module, ready to `install`. */
export type PreparedModule = CoreModule | ComponentModule;

/** Whether a module's actors can be checkpointed (see ActorRuntime.canSnapshot). */
export function snapshotsState(module: PreparedModule): boolean {
  return module.kind === 'component' || (module.has.plex_get_state && module.has.plex_set_state);
}

/**
 * The modules deployed on a runtime and the shared memories registered on
 * it, each shipped to every worker when it is added. The table is what new
 * spawns see; workers keep what they were sent (a forgotten module's
 * compiled code stays until its name is deployed again).
 */
export class ModuleTable {
  private readonly modules = new Map<string, PreparedModule>();
  private readonly memoriesShared = new Map<string, WebAssembly.Memory>();

  constructor(private readonly links: readonly WorkerLink[]) {}

  get(name: string): PreparedModule | undefined {
    return this.modules.get(name);
  }

  has(name: string): boolean {
    return this.modules.has(name);
  }

  /** Adds a prepared module under its name, replacing any module of that name, and ships it to every worker. */
  install(prepared: PreparedModule): void {
    const name = prepared.name;
    this.modules.set(name, prepared);
    for (const link of this.links) {
      if (prepared.kind === 'component') {
        link.setup({ setup: 'component', name, source: prepared.source, coreModules: prepared.coreModules, maxMemoryPages: prepared.maxMemoryPages, grants: prepared.grants, actorInterface: prepared.actorInterface });
        continue;
      }
      link.setup({
        setup: 'module',
        name,
        module: prepared.module,
        watchdog: prepared.watchdog,
        maxMemoryPages: prepared.maxMemoryPages,
        importedMemory: prepared.importedMemory,
        has: prepared.has,
      });
    }
  }

  /** Forgets a module; returns whether there was one of that name. */
  delete(name: string): boolean {
    return this.modules.delete(name);
  }

  /** Registers a shared `WebAssembly.Memory` under `id` and ships it to every worker. */
  shareMemory(id: string, memory: WebAssembly.Memory): void {
    if (!(memory.buffer instanceof SharedArrayBuffer)) throw new InvalidArgumentError('shareMemory needs a shared WebAssembly.Memory ({ shared: true })');
    if (this.memoriesShared.has(id)) throw new InvalidArgumentError(`a shared memory ${shown(id)} is already registered`);
    this.memoriesShared.set(id, memory);
    for (const link of this.links) link.setup({ setup: 'memory', id, memory });
  }

  /**
   * Gives a new instance of `moduleName` (deployed) on shared memory
   * `memoryId` a private slot for its message buffers: the memory grows by
   * one slot, so the caller's data layout below it is untouched. Returns the
   * slot's base address.
   */
  reserveSlot(moduleName: string, memoryId: string): number {
    const memory = this.memoriesShared.get(memoryId);
    if (memory === undefined) throw new InvalidArgumentError(`no shared memory ${shown(memoryId)}; register it with shareMemory first`);
    const module = this.modules.get(moduleName)!;
    if (module.kind !== 'core' || module.importedMemory === undefined || !module.importedMemory.shared) {
      throw new InvalidArgumentError(`${moduleName} does not import a shared env.memory, so it cannot run on shared memory ${shown(memoryId)}`);
    }
    if (!module.has.plex_base) throw new InvalidModuleError(`${moduleName} must export a mutable global plex_base to run on a shared memory (see docs/core-abi.md)`);
    try {
      return memory.grow(SHARED_SLOT_BYTES / 65536) * 65536;
    } catch (cause) {
      throw new InvalidArgumentError(`shared memory ${shown(memoryId)} cannot grow by another actor slot: ${(cause as Error).message}`);
    }
  }
}
