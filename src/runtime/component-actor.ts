import * as wasi from '@bytecodealliance/preview2-shim';
import { ErrorCode } from '../errors.js';
import { ActorFault, classifyFault, WatchdogExpired } from './actor-fault.js';
import { FUEL_PER_TICK, OOM_EXPORT } from './instrument.js';
import { fromUtf8, utf8, type WorkerSetup } from './protocol.js';
import { deniedSocketImports } from './wasi-sockets-denied.js';
import { worldImports } from './component-imports.js';

export type ComponentSetup = Extract<WorkerSetup, { setup: 'component' }>;

/** What a component's host functions reach inside the worker. */
export interface ComponentServices {
  /** A host call served by the main thread; `status < 0` is a failure whose text is in `result`. */
  call(op: number, request: Uint8Array, caller: string): { status: number; result: string };
  /** Queues a send; a negative status means it was refused (another tenant's actor). */
  send(from: string, to: string, type: string, payload: Uint8Array): number;
  log(actorId: string, level: number, message: string): void;
}

interface ActorExports {
  init(configJson: string): string;
  handle(fromActor: string, msgType: string, payloadJson: string): string;
  getState(): string;
  setState(stateJson: string): string;
}

type Instantiate = (
  getCoreModule: (file: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, ActorExports>;

/**
 * The `WebAssembly` the glue sees. jco's glue probes for JSPI with
 * `try { WebAssembly.promising(f) } catch {}` for every export; on Node 20
 * that is a call of undefined, and V8 re-parses the whole 10k-line glue to
 * word each "is not a function" message — ≈14 of the ≈16 ms an instance
 * took. A `promising` that throws a plain error keeps the fallback and costs
 * nothing.
 */
const WASM_WITHOUT_JSPI = Object.create(WebAssembly, {
  promising: {
    value: () => {
      throw new TypeError('JSPI is not available');
    },
  },
});

/**
 * Evaluated once per component setup per worker. Keyed by the setup itself,
 * not the module name: a redeploy under the same name sends a new setup, and
 * its actors must get the new code.
 */
const instantiators = new WeakMap<ComponentSetup, Instantiate>();

/**
 * A component actor for the `plexspaces:simple-actor@0.1.0` world inside a
 * worker. Its host functions follow the world's conventions: JSON strings in
 * and out, failures as strings starting with `ERROR`, `ts-read`/`ts-take`
 * never block and return "" when nothing matches.
 *
 * Its core modules were instrumented at deploy like core-module actors, so
 * the watchdog stops a runaway handler (the tick import is added to every
 * core instance here) and a refused memory growth is reported as the memory
 * cap; either way only this actor dies.
 */
export class ComponentActor {
  private readonly actor: ActorExports;
  private readonly cores: WebAssembly.Instance[] = [];
  private deadline = Infinity;

  /** Messages handled, counted by its worker (see ActorInstance.handled). */
  handled = 0;

  /** Bytes of linear memory its core instances have now (CPython's and SpiderMonkey's heaps live there). */
  get memoryBytes(): number {
    let bytes = 0;
    for (const core of this.cores) {
      for (const value of Object.values(core.exports)) if (value instanceof WebAssembly.Memory) bytes += value.buffer.byteLength;
    }
    return bytes;
  }

  constructor(
    readonly id: string,
    private readonly spec: ComponentSetup,
    services: ComponentServices,
    private readonly budgetMs: number,
    /** A journaled (durable) actor's sends and clock go through the main thread, which records them and serves them again on replay. */
    journaled = false,
  ) {
    let instantiate = instantiators.get(spec);
    if (instantiate === undefined) {
      instantiate = new Function('WebAssembly', spec.source)(WASM_WITHOUT_JSPI) as Instantiate;
      instantiators.set(spec, instantiate);
    }
    const viaMain = (op: number, text: string): string => {
      // Time spent waiting on the main thread (an ask, a lock, a blocking take) is not the handler's computing: the watchdog does not count it.
      const started = performance.now();
      const { status, result } = services.call(op, utf8.encode(text), id);
      this.deadline += performance.now() - started;
      return status < 0 ? (result.startsWith('ERROR') ? result : `ERROR: ${result}`) : result;
    };
    // Only the interfaces of the component's world are bound: one that imports anything else does not instantiate.
    const imports: Record<string, unknown> = { ...worldImports(spec.grants, { id, viaMain, services, journaled }), ...wasiImports() };
    const tick = {
      tick: () => {
        if (performance.now() > this.deadline) throw new WatchdogExpired();
        return FUEL_PER_TICK;
      },
    };
    this.actor = this.guard(() => {
      const exports = instantiate(
        (file) => spec.coreModules[file],
        imports,
        (module, moduleImports) => {
          const instance = new WebAssembly.Instance(module, { ...moduleImports, plex_rt: tick });
          this.cores.push(instance);
          return instance;
        },
      );
      return exports[spec.actorInterface] ?? exports.actor;
    });
  }

  /** Calls `init`; a reply starting with ERROR fails the spawn. */
  init(config: Uint8Array): void {
    const reply = this.guard(() => this.actor.init(config.byteLength === 0 ? '{}' : fromUtf8.decode(config)));
    if (reply.startsWith('ERROR')) throw new ActorFault(ErrorCode.ActorFailed, `init returned ${reply}`);
  }

  handle(type: string, payload: Uint8Array, wantReply: boolean, from: string): Uint8Array | null {
    const reply = this.guard(() => this.actor.handle(from, type, payload.byteLength === 0 ? '{}' : fromUtf8.decode(payload)));
    return wantReply ? utf8.encode(reply) : EMPTY;
  }

  getState(): Uint8Array | null {
    return utf8.encode(this.guard(() => this.actor.getState()));
  }

  setState(state: Uint8Array): boolean {
    const result = this.guard(() => this.actor.setState(fromUtf8.decode(state)));
    return !result.startsWith('ERROR');
  }

  /** Runs a call into the component under the watchdog's deadline and turns failures into faults. */
  private guard<T>(call: () => T): T {
    this.deadline = performance.now() + this.budgetMs;
    try {
      return call();
    } catch (error) {
      const growRefused = this.cores.some((core) => (core.exports[OOM_EXPORT] as WebAssembly.Global | undefined)?.value === 1);
      throw classifyFault(error, { budgetMs: this.budgetMs, growRefused, atMemoryCap: false, maxMemoryPages: this.spec.maxMemoryPages });
    } finally {
      this.deadline = Infinity;
    }
  }
}

const EMPTY = new Uint8Array(0);

/**
 * WASI from preview2-shim, keyed as jco asks (`wasi:cli/stdout` →
 * `cli.stdout`), except the file system: an actor gets no preopened
 * directories, so it cannot touch the host's files — and sockets, which
 * are present but refuse every use (wasi-sockets-denied.ts). preview2-shim's
 * environment is the node's own (its variables — secrets among them — its
 * arguments and working directory) and its exit ends the thread every actor
 * of the worker runs on: an actor gets an empty environment instead, and
 * `exit` crashes only that actor (PLEX_ERR_ACTOR_EXITED), as a core
 * module's proc_exit does (wasi-preview1.ts). CPython reads the environment
 * at start (`os.environ`) and `os._exit` calls exit.
 */
function wasiImports(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const packages = wasi as unknown as Record<string, Record<string, unknown>>;
  for (const pkg of ['cli', 'clocks', 'filesystem', 'io', 'random']) {
    for (const [iface, impl] of Object.entries(packages[pkg] ?? {})) {
      if (iface.startsWith('_')) continue;
      const kebab = iface.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      out[`wasi:${pkg}/${kebab}`] = impl;
    }
  }
  out['wasi:filesystem/preopens'] = { getDirectories: () => [] };
  out['wasi:cli/environment'] = { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined };
  out['wasi:cli/exit'] = {
    exit: (status: { tag: 'ok' | 'err' }) => {
      throw new ActorFault(ErrorCode.ActorExited, `the actor called exit (${status?.tag === 'err' ? 'failure' : 'success'})`);
    },
    exitWithCode: (code: number) => {
      throw new ActorFault(ErrorCode.ActorExited, `the actor called exit(${code})`);
    },
  };
  return { ...out, ...deniedSocketImports() };
}
