import { transpile } from '@bytecodealliance/jco';
import { InvalidModuleError } from '../errors.js';
import { checkTableCap, reservedBytes, type CoreModuleOptions } from './core-module.js';
import { instrumentCoreModule } from './instrument.js';
import { enableWasmFeatures } from './wasm-features.js';
import { prepareOffThread } from './module-preparation.js';
import { checkComponentWorld, PLATFORM_ACTOR_INTERFACE, type ModuleGrants } from './capabilities.js';

/** The actor interface of the printed world (shared/WIT-CONTRACT.md, wit/simple-actor.wit); platform worlds export PLATFORM_ACTOR_INTERFACE. */
export const ACTOR_INTERFACE = 'plexspaces:simple-actor/actor@0.1.0';

/** A component transpiled by jco, with its core modules compiled, ready to send to workers. */
export interface ComponentModule {
  readonly kind: 'component';
  readonly name: string;
  /** The transpiled JS, rewritten into the body of a function that returns `instantiate`. */
  readonly source: string;
  /** Core modules by the file name the JS asks for, instrumented like core-module actors. */
  readonly coreModules: Readonly<Record<string, WebAssembly.Module>>;
  readonly maxMemoryPages: number;
  /** What one instance can come to hold: every core module's memory and tables at their clamped maxima (core-module.ts). */
  readonly reservedBytes: number;
  /** Its world and what it grants: only those interfaces are bound, only those host calls served. */
  readonly grants: ModuleGrants;
  /** The actor interface it exports: the simple-actor package's or the platform's. */
  readonly actorInterface: string;
}

/**
 * Validates a component for its world — the printed
 * `plexspaces:simple-actor@0.1.0` worlds or a platform world
 * (capabilities.ts) — and transpiles it with jco (synchronous
 * instantiation, so a worker can create instances without returning to its
 * event loop). Rejects a component that exports no actor interface or
 * imports anything outside its world and WASI, naming the interface.
 * Prepared on the preparation thread (module-preparation.ts), so the
 * caller's event loop keeps running.
 */
export function prepareComponent(name: string, bytes: Uint8Array, options: CoreModuleOptions = {}): Promise<ComponentModule> {
  return prepareOffThread('component', name, bytes, options);
}

/** The preparation itself, on the calling thread: module-preparation-worker.ts runs it. */
export async function prepareComponentOnThisThread(name: string, bytes: Uint8Array, options: CoreModuleOptions = {}): Promise<ComponentModule> {
  enableWasmFeatures();
  let output: Awaited<ReturnType<typeof transpile>>;
  try {
    output = await transpile(bytes, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true });
  } catch (cause) {
    throw new InvalidModuleError(`${name}: not a valid component: ${(cause as Error).message}`, { cause });
  }
  const exported = output.exports.map(([n]) => n);
  const actorInterface = exported.includes(ACTOR_INTERFACE) ? ACTOR_INTERFACE : exported.includes(PLATFORM_ACTOR_INTERFACE) ? PLATFORM_ACTOR_INTERFACE : undefined;
  if (actorInterface === undefined) {
    throw new InvalidModuleError(
      `${name}: wrong world: the component exports ${exported.length > 0 ? exported.join(', ') : 'nothing'}, but an actor must export ${ACTOR_INTERFACE} or ${PLATFORM_ACTOR_INTERFACE} (init, handle, get-state, set-state)`,
    );
  }
  const grants = checkComponentWorld(name, output.imports, options.world);
  if (actorInterface === ACTOR_INTERFACE && !(grants.world === 'actor-world' || grants.world === 'full-actor-world')) {
    throw new InvalidModuleError(`${name}: exports ${ACTOR_INTERFACE} but imports platform interfaces; a platform-world component exports ${PLATFORM_ACTOR_INTERFACE}`);
  }
  if (actorInterface === PLATFORM_ACTOR_INTERFACE && (grants.world === 'actor-world' || grants.world === 'full-actor-world')) {
    throw new InvalidModuleError(`${name}: exports ${PLATFORM_ACTOR_INTERFACE} but is declared or built for the simple-actor package's ${grants.world}`);
  }
  // The component's core modules (the JS engine among them) get the same
  // watchdog and memory cap as core-module actors.
  const maxMemoryPages = Math.floor(((options.maxMemoryMb ?? 64) * 1024 * 1024) / 65536);
  const watchdog = options.watchdog ?? true;
  const maxTableElements = checkTableCap(options.maxTableElements);
  let reserved = 0;
  const coreModules: Record<string, WebAssembly.Module> = {};
  let js: string | undefined;
  for (const [file, content] of Object.entries(output.files)) {
    if (file.endsWith('.wasm')) {
      const instrumented = await instrumentCoreModule(content as Uint8Array, { watchdog, maxMemoryPages, maxTableElements });
      // An imported memory or table is another core module's: count only what each defines.
      reserved += reservedBytes({ ...instrumented, importedMemory: undefined }, maxMemoryPages);
      coreModules[file] = await WebAssembly.compile(instrumented.bytes as Uint8Array<ArrayBuffer>).catch((cause: Error) => {
        throw new InvalidModuleError(`${name}: core module ${file} does not compile: ${cause.message}`, { cause });
      });
    } else if (file === 'component.js') js = new TextDecoder().decode(content as Uint8Array);
  }
  if (js === undefined) throw new InvalidModuleError(`${name}: jco produced no JavaScript for the component`);
  return { kind: 'component', name, source: toFunctionBody(js), coreModules, maxMemoryPages, reservedBytes: reserved, grants, actorInterface };
}

/**
 * jco's instantiation-mode output is an ES module with no imports whose only
 * exports are `instantiate` and `_util`; as a function body it can be
 * evaluated synchronously in a worker.
 */
function toFunctionBody(js: string): string {
  const body = js
    .replace(/^"use components";/, '')
    .replace(/^export function instantiate\(/m, 'function instantiate(')
    .replace(/^export const _util\b/m, 'const _util');
  if (/^export\s/m.test(body)) throw new InvalidModuleError('unexpected exports in the transpiled component');
  return `${body}\nreturn instantiate;`;
}
