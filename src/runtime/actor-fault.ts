import { ErrorCode } from '../errors.js';

/** Thrown inside a worker when an actor dies; `code` is one of the actor error codes. */
export class ActorFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown by the watchdog's tick import; unwinds the WASM stack of the runaway handler. */
export class WatchdogExpired extends Error {}

export interface FaultContext {
  readonly budgetMs: number;
  /** True when a `memory.grow` was refused (the instrumented modules record it). */
  readonly growRefused: boolean;
  /** Whether the memory is at its cap now. */
  readonly atMemoryCap: boolean;
  readonly maxMemoryPages: number;
}

/** Turns whatever a call into WASM threw into the typed fault that kills the actor. */
export function classifyFault(error: unknown, context: FaultContext): ActorFault {
  if (error instanceof ActorFault) return error;
  if (error instanceof WatchdogExpired) {
    return new ActorFault(ErrorCode.ActorTimeout, `the handler ran past its ${context.budgetMs} ms budget and was stopped by the watchdog`);
  }
  if (context.growRefused || context.atMemoryCap) {
    return new ActorFault(
      ErrorCode.ActorMemoryLimit,
      `the actor reached its memory limit of ${context.maxMemoryPages} pages (${(context.maxMemoryPages * 65536) / 2 ** 20} MiB): ${(error as Error)?.message ?? String(error)}`,
    );
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new ActorFault(ErrorCode.ActorTrapped, `stack overflow: ${error.message}`);
  }
  return new ActorFault(ErrorCode.ActorTrapped, `trap: ${(error as Error)?.message ?? String(error)}`);
}
