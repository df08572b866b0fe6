import wabtInit from 'wabt';
import { InvalidModuleError } from '../errors.js';
import { TICK_IMPORT } from './core-abi.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabtPromise: Promise<Wabt> | undefined;

const FEATURES = {
  simd: true,
  bulk_memory: true,
  sign_extension: true,
  sat_float_to_int: true,
  mutable_globals: true,
  multi_value: true,
  reference_types: true,
  threads: true,
} as const;

/** Exported global that is 1 once `memory.grow` was refused (the memory cap was hit). */
export const OOM_EXPORT = '__plex_oom';

/** Loop iterations between two watchdog checks: ≈1 ms of a tight loop, so a check costs nothing measurable. */
export const FUEL_PER_TICK = 1 << 20;

export interface InstrumentOptions {
  /** Insert the watchdog's loop checks. */
  watchdog: boolean;
  /** Largest linear memory, in 64 KiB pages; the module's own maximum is clamped to it. */
  maxMemoryPages: number;
}

export interface InstrumentResult {
  readonly bytes: Uint8Array;
  /** The module's memory limits after clamping (`undefined` when it imports its memory). */
  readonly definedMemory?: { initial: number; maximum: number; shared: boolean };
  readonly importedMemory?: { initial: number; maximum: number | undefined; shared: boolean };
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
 * fails inside the module instead of taking the process's memory.
 *
 * Done on the text form (wabt): names are generated first, so inserting an
 * import does not shift any index a reference depends on.
 */
export async function instrumentCoreModule(bytes: Uint8Array, options: InstrumentOptions): Promise<InstrumentResult> {
  const wabt = await (wabtPromise ??= wabtInit());
  let text: string;
  try {
    const module = wabt.readWasm(new Uint8Array(bytes), { readDebugNames: false, check: true, ...FEATURES });
    module.generateNames();
    module.applyNames();
    text = module.toText({ foldExprs: false, inlineExport: false });
    module.destroy();
  } catch (cause) {
    throw new InvalidModuleError(`not a valid WebAssembly module: ${(cause as Error).message.trim()}`, { cause });
  }
  const out: string[] = [];
  let definedMemory: InstrumentResult['definedMemory'];
  let importedMemory: InstrumentResult['importedMemory'];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (i === 0 && options.watchdog) {
      out.push(line, `  (import "${TICK_IMPORT.module}" "${TICK_IMPORT.name}" (func $__plex_tick (result i32)))`);
      continue;
    }
    const memory = /^(\s*\(memory\s+(?:\$\S+\s+)?)(\d+)(?:\s+(\d+))?(\s+shared)?\)\s*$/.exec(line);
    if (memory) {
      const initial = Number(memory[2]);
      const declaredMax = memory[3] === undefined ? undefined : Number(memory[3]);
      const maximum = Math.min(declaredMax ?? options.maxMemoryPages, options.maxMemoryPages);
      if (initial > maximum) {
        throw new InvalidModuleError(`the module needs ${initial} memory pages at start; the limit is ${options.maxMemoryPages}`);
      }
      definedMemory = { initial, maximum, shared: memory[4] !== undefined };
      out.push(`${memory[1]}${initial} ${maximum}${memory[4] ?? ''})`);
      continue;
    }
    const imported = /\(import\s+"env"\s+"memory"\s+\(memory\s+(?:\$\S+\s+)?(\d+)(?:\s+(\d+))?(\s+shared)?\)\)/.exec(line);
    if (imported) {
      importedMemory = {
        initial: Number(imported[1]),
        maximum: imported[2] === undefined ? undefined : Number(imported[2]),
        shared: imported[3] !== undefined,
      };
    }
    if (/^\s*memory\.grow\s*$/.test(line)) {
      // Route growth through a helper that remembers a refusal, so a crash
      // after it can be reported as the memory cap rather than a bare trap.
      out.push(line.replace('memory.grow', 'call $__plex_grow'));
      continue;
    }
    out.push(line);
    if (options.watchdog && /^\s*loop\b/.test(line)) {
      const indent = /^\s*/.exec(line)![0] + '  ';
      out.push(
        `${indent}global.get $__plex_fuel`,
        `${indent}i32.const 1`,
        `${indent}i32.sub`,
        `${indent}global.set $__plex_fuel`,
        `${indent}global.get $__plex_fuel`,
        `${indent}i32.eqz`,
        `${indent}if`,
        `${indent}  call $__plex_tick`,
        `${indent}  global.set $__plex_fuel`,
        `${indent}end`,
      );
    }
  }
  // New definitions go just before the module's final paren, which ends
  // the last non-empty line.
  const additions = [
    `  (global $__plex_oom (mut i32) (i32.const 0))`,
    `  (export "${OOM_EXPORT}" (global $__plex_oom))`,
    `  (func $__plex_grow (param $pages i32) (result i32) (local $before i32)`,
    `    local.get $pages`,
    `    memory.grow`,
    `    local.tee $before`,
    `    i32.const -1`,
    `    i32.eq`,
    `    if`,
    `      i32.const 1`,
    `      global.set $__plex_oom`,
    `    end`,
    `    local.get $before)`,
  ];
  if (options.watchdog) additions.push(`  (global $__plex_fuel (mut i32) (i32.const ${FUEL_PER_TICK}))`);
  let last = out.length - 1;
  while (last > 0 && out[last].trim() === '') last--;
  const closingAt = out[last].lastIndexOf(')');
  out[last] = `${out[last].slice(0, closingAt)}\n${additions.join('\n')})`;
  try {
    const parsed = wabt.parseWat('instrumented.wat', out.join('\n'), FEATURES);
    parsed.resolveNames();
    // No parsed.validate(): wabt.js validates without the parse's feature
    // set (it rejects shared memories); V8 validates the result when the
    // caller compiles it.
    const { buffer } = parsed.toBinary({ write_debug_names: false });
    parsed.destroy();
    return { bytes: buffer, definedMemory, importedMemory };
  } catch (cause) {
    throw new InvalidModuleError(`the module could not be instrumented: ${(cause as Error).message.trim()}`, { cause });
  }
}
