import { ErrorCode } from '../errors.js';
import { ActorFault, classifyFault, WatchdogExpired } from './actor-fault.js';
import { FUEL_PER_TICK, OOM_EXPORT } from './instrument.js';
import { WASI_MODULE, WasiPreview1 } from './wasi-preview1.js';

export { ActorFault };
import type { WorkerSetup } from './protocol.js';
import { fromUtf8, utf8Of } from './protocol.js';

export type ModuleSetup = Extract<WorkerSetup, { setup: 'module' }>;

const NO_REPLY = new Uint8Array(0);

/** What an instance needs from its worker. */
export interface InstanceHost {
  /** `plex.call`: returns the status; a result goes to `lastResult`. */
  hostCall(instance: ActorInstance, op: number, request: Uint8Array): number;
  /** The time for `plex.now_ms` (a journaled actor's comes from the main thread, so a replay sees the same). */
  nowMs(instance: ActorInstance): number;
  log(actorId: string, level: number, message: string): void;
}

/**
 * One core-module actor inside a worker: its WASM instance, its memory, and
 * the calls of the ABI (core-abi.ts). Every call runs under a deadline that
 * the watchdog's tick enforces; a trap, an expired deadline or an exhausted
 * memory is turned into an `ActorFault`, and the instance must then be
 * dropped (its memory may be half-written).
 */
export class ActorInstance {
  readonly exports: {
    memory?: WebAssembly.Memory;
    plex_alloc(size: number): number;
    plex_handle(typePtr: number, typeLen: number, payloadPtr: number, payloadLen: number): number;
    plex_reply_ptr(): number;
    plex_init?(ptr: number, len: number): number;
    plex_get_state?(): number;
    plex_set_state?(ptr: number, len: number): number;
    // The handle_message ABI (core-abi.ts: HANDLE_MESSAGE_EXPORT).
    handle_message?(fromPtr: number, fromLen: number, typePtr: number, typeLen: number, payloadPtr: number, payloadLen: number): number;
    init?(ptr: number, len: number): number;
    get_state?(): number;
  };
  readonly memory: WebAssembly.Memory;
  /** The result of the last host call, copied out by `plex.result`. */
  lastResult: Uint8Array = new Uint8Array(0);
  /** Who sent the message being handled (`HostOp.Sender`); empty outside a handler and for the runtime's own calls. */
  sender = '';
  private deadline = Infinity;
  /**
   * Pages the runtime added to a handle_message module's memory for its
   * inputs (that ABI has no allocator export); reused while big enough.
   */
  private scratch = { ptr: 0, bytes: 0 };
  /** WASI preview 1 for a module that imports it (stdio lines, clocks, exit). */
  private readonly wasi: WasiPreview1 | undefined;

  constructor(
    readonly id: string,
    readonly spec: ModuleSetup,
    host: InstanceHost,
    private readonly budgetMs: number,
    sharedMemory: WebAssembly.Memory | undefined,
    /** Start of this instance's private slot in a shared memory; -1 when it has its own memory. */
    slotBase = -1,
  ) {
    let memory: WebAssembly.Memory | undefined;
    // The host grew a shared memory (this instance's slot, a driver's data) after shipping it to this
    // thread, and V8 tells other threads of a growth lazily: until this thread catches up, its buffer and
    // its instances keep the old length (an input written to the new slot failed "offset is out of
    // bounds", about once in 150 spawns under load). grow(0) brings this thread's view up to date.
    sharedMemory?.grow(0);
    this.sharedMemory = sharedMemory !== undefined;
    if (spec.importedMemory !== undefined) {
      memory =
        sharedMemory ??
        new WebAssembly.Memory({
          initial: spec.importedMemory.initial,
          maximum: Math.min(spec.importedMemory.maximum ?? spec.maxMemoryPages, spec.maxMemoryPages),
          shared: spec.importedMemory.shared,
        } as WebAssembly.MemoryDescriptor);
    }
    const imports: WebAssembly.Imports = {
      plex: {
        // A view, not a copy: every host call consumes its request before returning.
        call: (op: number, ptr: number, len: number) => {
          // The watchdog counts computing, not waiting on the host (an ask, a blocking take).
          const started = performance.now();
          const status = host.hostCall(this, op, this.bytes(ptr, len));
          this.deadline += performance.now() - started;
          return status;
        },
        result: (dst: number) => this.view(dst + this.lastResult.byteLength).set(this.lastResult, dst),
        log: (level: number, ptr: number, len: number) => host.log(id, level, fromUtf8.decode(this.bytes(ptr, len))),
        now_ms: () => host.nowMs(this),
      },
      env: {
        abort: (msg: number, file: number, line: number, column: number) => {
          throw new ActorFault(ErrorCode.ActorTrapped, `aborted at ${this.asString(file)}:${line}:${column}: ${this.asString(msg)}`);
        },
        ...(memory ? { memory } : {}),
      },
      plex_rt: {
        tick: () => {
          if (performance.now() > this.deadline) throw new WatchdogExpired();
          return FUEL_PER_TICK;
        },
      },
    };
    if (spec.has.wasi) {
      this.wasi = new WasiPreview1({
        memory: () => this.memory,
        log: (level, line) => host.log(id, level, line),
        nowMs: () => host.nowMs(this),
        remainingBudgetMs: () => this.deadline - performance.now(),
      });
      imports[WASI_MODULE] = this.wasi.imports();
    }
    const instance = this.guard(() => new WebAssembly.Instance(spec.module, imports));
    this.exports = instance.exports as unknown as ActorInstance['exports'];
    this.memory = memory ?? this.exports.memory!;
    if (slotBase >= 0) (instance.exports.plex_base as WebAssembly.Global).value = slotBase;
    // A WASI reactor (Go's c-shared build, wasi-libc's crt1-reactor) sets up its runtime here, once, before any other export.
    if (spec.has._initialize) this.guard(() => (instance.exports._initialize as () => void)());
  }

  /** Runs `plex_init` with `config`; a non-zero status fails the spawn. */
  init(config: Uint8Array): void {
    if (this.spec.has.handle_message) {
      const status = this.callInit(config);
      if (status !== null && status !== 0) throw new ActorFault(ErrorCode.ActorFailed, `init returned ${status}`);
      return;
    }
    const init = this.exports.plex_init;
    if (init === undefined) return;
    const status = this.guard(() => {
      const ptr = this.input(config);
      return init(ptr, config.byteLength);
    });
    if (status !== 0) throw new ActorFault(ErrorCode.ActorFailed, `plex_init returned ${status}`);
  }

  /**
   * Handles one message; `null` when the handler returned a negative status
   * (the actor lives on). Without `wantReply` (a tell) the reply is not
   * copied out.
   */
  handle(type: string, payload: Uint8Array, wantReply = true, from = ''): Uint8Array | null {
    this.sender = from;
    try {
      if (this.spec.has.handle_message) return this.guard(() => this.handleMessage(from, type, payload, wantReply));
      return this.guard(() => {
        const typeBytes = utf8Of(type);
        const ptr = this.exports.plex_alloc(typeBytes.byteLength + payload.byteLength);
        const view = this.view(ptr + typeBytes.byteLength + payload.byteLength);
        view.set(typeBytes, ptr);
        if (payload.byteLength > 0) view.set(payload, ptr + typeBytes.byteLength);
        const n = this.exports.plex_handle(ptr, typeBytes.byteLength, ptr + typeBytes.byteLength, payload.byteLength);
        if (n < 0) return null;
        if (!wantReply) return NO_REPLY;
        return this.bytes(this.exports.plex_reply_ptr(), n).slice();
      });
    } finally {
      this.sender = '';
    }
  }

  getState(): Uint8Array | null {
    if (this.spec.has.handle_message) {
      const get = this.exports.get_state;
      return get === undefined ? null : this.guard(() => this.lengthPrefixed(get()));
    }
    const get = this.exports.plex_get_state;
    if (get === undefined) return null;
    return this.guard(() => {
      const n = get();
      return n < 0 ? null : this.bytes(this.exports.plex_reply_ptr(), n).slice();
    });
  }

  /** Restores a snapshot through `plex_set_state`; false when the module has no such export or refused it. */
  setState(state: Uint8Array): boolean {
    // The handle_message ABI restores a snapshot through init, as the article's init(state) does.
    if (this.spec.has.handle_message) return this.callInit(state) === 0;
    const set = this.exports.plex_set_state;
    if (set === undefined) return false;
    return this.guard(() => set(this.input(state), state.byteLength) === 0);
  }

  /** `init(ptr, len)` of the handle_message ABI; null when the module has none. */
  private callInit(bytes: Uint8Array): number | null {
    const init = this.exports.init;
    if (init === undefined) return null;
    return this.guard(() => {
      const [ptr] = this.writeScratch([bytes]);
      return init(ptr, bytes.byteLength);
    });
  }

  private handleMessage(from: string, type: string, payload: Uint8Array, wantReply: boolean): Uint8Array | null {
    const fromBytes = utf8Of(from);
    const typeBytes = utf8Of(type);
    const [fromPtr, typePtr, payloadPtr] = this.writeScratch([fromBytes, typeBytes, payload]);
    const replyPtr = this.exports.handle_message!(fromPtr, fromBytes.byteLength, typePtr, typeBytes.byteLength, payloadPtr, payload.byteLength);
    return wantReply ? this.lengthPrefixed(replyPtr) : NO_REPLY;
  }

  /**
   * Writes `parts` one after another into the scratch pages and answers
   * where each starts. The pages come from `memory.grow` by the host, past
   * everything the module's allocator had, so it never hands them out.
   */
  private writeScratch(parts: Uint8Array[]): number[] {
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    if (this.scratch.bytes === 0 || total > this.scratch.bytes) {
      const pages = Math.max(1, Math.ceil(total / 65536));
      let before: number;
      try {
        before = this.memory.grow(pages);
      } catch (cause) {
        throw new ActorFault(ErrorCode.ActorMemoryLimit, `no room for a ${total}-byte message within the memory limit of ${this.spec.maxMemoryPages} pages: ${(cause as Error).message}`);
      }
      this.scratch = { ptr: before * 65536, bytes: pages * 65536 };
    }
    const view = this.view();
    let at = this.scratch.ptr;
    return parts.map((part) => {
      view.set(part, at);
      const ptr = at;
      at += part.byteLength;
      return ptr;
    });
  }

  /** A reply or snapshot of the handle_message ABI: 0 is empty, else a u32 length and the bytes. */
  private lengthPrefixed(ptr: number): Uint8Array {
    const at = ptr >>> 0;
    if (at === 0) return NO_REPLY;
    const buffer = this.memory.buffer;
    if (at + 4 > buffer.byteLength) throw new ActorFault(ErrorCode.ActorTrapped, `reply pointer ${at} is outside the memory`);
    const len = new DataView(buffer).getUint32(at, true);
    if (at + 4 + len > buffer.byteLength) throw new ActorFault(ErrorCode.ActorTrapped, `a ${len}-byte reply at ${at} runs past the memory`);
    return new Uint8Array(buffer, at + 4, len).slice();
  }

  /** Copies `bytes` into the module's input buffer. */
  private input(bytes: Uint8Array): number {
    const ptr = this.exports.plex_alloc(bytes.byteLength);
    this.view(ptr + bytes.byteLength).set(bytes, ptr);
    return ptr;
  }

  private cachedView: Uint8Array<ArrayBufferLike> = new Uint8Array(0);
  /** Runs on a memory shared with other threads, which may grow it (see the constructor). */
  private readonly sharedMemory: boolean;

  /** Messages handled (replied or not, failed or not), counted by its worker for the runtime's actorStats: a field, not a lookup, on the message path. */
  handled = 0;

  /** Bytes of its linear memory now (a shared memory counts whole: every actor on it shares it). */
  get memoryBytes(): number {
    return this.memory?.buffer.byteLength ?? 0;
  }

  /** The whole memory; `end` is the first byte past what the caller will touch. */
  private view(end = 0): Uint8Array {
    // memory.grow replaces the buffer: refresh the view when it changed.
    const buffer = this.currentBuffer(end);
    if (this.cachedView.buffer !== buffer) this.cachedView = new Uint8Array(buffer);
    return this.cachedView;
  }

  private bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.currentBuffer(ptr + len), ptr, len);
  }

  /** The memory's buffer, caught up with another thread's growth when `end` lies past the length this thread knows. */
  private currentBuffer(end: number): ArrayBuffer | SharedArrayBuffer {
    const buffer = this.memory.buffer;
    if (!this.sharedMemory || end <= buffer.byteLength) return buffer;
    this.memory.grow(0);
    return this.memory.buffer;
  }

  private asString(ptr: number): string {
    // AssemblyScript strings: UTF-16, length in bytes at ptr - 4.
    if (ptr === 0) return '';
    const buffer = this.memory.buffer;
    const len = new Uint32Array(buffer, ptr - 4, 1)[0];
    return Buffer.from(buffer, ptr, len).toString('utf16le');
  }

  /** Runs a call into WASM under the watchdog's deadline and turns failures into faults. */
  private guard<T>(call: () => T): T {
    this.deadline = performance.now() + this.budgetMs;
    try {
      return call();
    } catch (error) {
      throw this.classify(error);
    } finally {
      this.deadline = Infinity;
      this.wasi?.flush();
    }
  }

  private classify(error: unknown): ActorFault {
    const pages = this.memory === undefined ? 0 : this.memory.buffer.byteLength / 65536;
    return classifyFault(error, {
      budgetMs: this.budgetMs,
      growRefused: (this.exports?.[OOM_EXPORT as keyof ActorInstance['exports']] as WebAssembly.Global | undefined)?.value === 1,
      atMemoryCap: pages >= this.spec.maxMemoryPages,
      maxMemoryPages: this.spec.maxMemoryPages,
    });
  }
}
