import { InvalidModuleError } from '../errors.js';
import { TICK_IMPORT } from './core-abi.js';
import { rewriteModule } from './wasm-rewriter.js';

/** Exported global that is 1 once `memory.grow` was refused (the memory cap was hit). */
export const OOM_EXPORT = '__plex_oom';

/** Loop iterations between two watchdog checks: ≈1 ms of a tight loop, so a check costs nothing measurable. */
export const FUEL_PER_TICK = 1 << 20;

export interface InstrumentOptions {
  /** Insert the watchdog's loop checks. */
  watchdog: boolean;
  /** Largest linear memory, in 64 KiB pages; the module's own maximum is clamped to it. */
  maxMemoryPages: number;
  /** Largest table, in elements; the module's own maxima are clamped to it. Default `DEFAULT_MAX_TABLE_ELEMENTS`. */
  maxTableElements?: number;
}

/**
 * Default table cap: far above what compilers emit (a C program's indirect-call
 * table, jco's shims, QuickJS each hold a few thousand), far below the
 * 10-million-element table that cost 262 MB of host memory per actor.
 */
export const DEFAULT_MAX_TABLE_ELEMENTS = 65_536;

export interface InstrumentResult {
  readonly bytes: Uint8Array;
  /** The module's memory limits after clamping (`undefined` when it imports its memory). */
  readonly definedMemory?: { initial: number; maximum: number; shared: boolean };
  readonly importedMemory?: { initial: number; maximum: number | undefined; shared: boolean };
  /** What the module's own tables can grow to, in elements (summed). */
  readonly tableElements: number;
}

/**
 * Rewrites a core module so that a runaway loop and a memory bomb can be
 * stopped without stopping the worker that runs it.
 *
 * Watchdog: every `loop` gets a fuel counter at its head; when the counter
 * runs out (every `FUEL_PER_TICK` iterations) the module calls the imported
 * `plex_rt.tick`, which throws once the message's time budget is spent, and
 * otherwise returns fresh fuel. Throwing from an import unwinds the WASM
 * stack, so only the actor whose handler ran away is lost.
 *
 * Memory: the maximum of a memory the module defines is clamped to
 * `maxMemoryPages` (a module with no maximum gets that one), so `memory.grow`
 * fails inside the module instead of taking the process's memory; every
 * `memory.grow` goes through a helper that records a refusal in the
 * exported global `OOM_EXPORT`, so the crash that follows can be reported as
 * the memory cap. Tables are capped the same way (`maxTableElements`): a
 * module that needs more at start is refused, and `table.grow` past the
 * clamped maximum fails inside the module.
 *
 * The rewrite is binary and single-pass (wasm-rewriter.ts): a 1.3 MB
 * QuickJS engine takes milliseconds, where a round trip through the text
 * format took minutes.
 */
export async function instrumentCoreModule(bytes: Uint8Array, options: InstrumentOptions): Promise<InstrumentResult> {
  try {
    return rewriteModule(bytes, { ...options, maxTableElements: options.maxTableElements ?? DEFAULT_MAX_TABLE_ELEMENTS, fuelPerTick: FUEL_PER_TICK, tick: TICK_IMPORT, oomExport: OOM_EXPORT });
  } catch (cause) {
    if (cause instanceof InvalidModuleError) throw cause;
    throw new InvalidModuleError(`the module could not be instrumented: ${(cause as Error).message}`, { cause });
  }
}
