import { coreModuleGrants, WORLD_SECTION, type ModuleGrants } from './capabilities.js';
import { InvalidModuleError } from '../errors.js';
import { ALLOWED_IMPORTS, HANDLE_MESSAGE_EXPORT, OPTIONAL_EXPORTS, REQUIRED_EXPORTS } from './core-abi.js';
import { DEFAULT_MAX_TABLE_ELEMENTS, instrumentCoreModule, type InstrumentResult } from './instrument.js';
import { WASI_FUNCTIONS, WASI_MODULE } from './wasi-preview1.js';
import { enableWasmFeatures } from './wasm-features.js';
import { prepareOffThread } from './module-preparation.js';

export interface CoreModuleOptions {
  /** Insert watchdog checks (default true). Turn off only for trusted kernels whose loops are hot. */
  watchdog?: boolean;
  /** Largest linear memory in MiB (default 64). */
  maxMemoryMb?: number;
  /** Largest table in elements (default `DEFAULT_MAX_TABLE_ELEMENTS`, 65 536); see instrument.ts. */
  maxTableElements?: number;
  /**
   * The world the module is deployed for (capabilities.ts): a component's
   * imports must lie in it, and a core module's host calls are held to it.
   * Default: a component's narrowest world that covers its imports; a core
   * module's whole ABI.
   */
  world?: string;
}

/** Host bytes one table element is charged (V8 measured ~26 per element of a 10-million-element table). */
export const TABLE_ELEMENT_BYTES = 32;

/** A validated, instrumented and compiled core module, ready to send to workers. */
export interface CoreModule {
  readonly kind: 'core';
  readonly name: string;
  readonly module: WebAssembly.Module;
  readonly watchdog: boolean;
  readonly maxMemoryPages: number;
  /**
   * The most memory one instance can come to hold: its linear memory's
   * clamped maximum plus its tables' at `TABLE_ELEMENT_BYTES` each. A node
   * charges every tenant actor this at spawn (tenant-quotas.ts).
   */
  readonly reservedBytes: number;
  readonly importedMemory: InstrumentResult['importedMemory'];
  /**
   * Which optional exports it has; `wasi`: it imports WASI preview 1
   * (wasi-preview1.ts); `_initialize`: a WASI reactor, initialised once
   * per instance before anything else is called; `handle_message`: the
   * module speaks the handle_message ABI (core-abi.ts), whose `init` counts
   * as `plex_init` and `plex_set_state`, and `get_state` as `plex_get_state`.
   */
  readonly has: Readonly<Record<(typeof OPTIONAL_EXPORTS)[number] | 'plex_base' | 'wasi' | '_initialize' | 'handle_message', boolean>>;
  /** Its world and what it grants: host calls outside it are refused (capabilities.ts). */
  readonly grants: ModuleGrants;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];
/** A component's header: version 0x0d, layer 1 (a core module has version 1, layer 0). */
const COMPONENT_VERSION = 0x0d;
const COMPONENT_LAYER = 0x01;

/** True for a WebAssembly component binary (as opposed to a core module). */
export function isComponent(bytes: Uint8Array): boolean {
  return bytes instanceof Uint8Array && bytes.byteLength >= 8 && WASM_MAGIC.every((b, i) => bytes[i] === b) && bytes[4] === COMPONENT_VERSION && bytes[6] === COMPONENT_LAYER;
}

/**
 * Checks a core module against the ABI (core-abi.ts) and prepares it; every
 * rejection names what is missing or wrong.
 */
/** Prepares the module on the preparation thread (module-preparation.ts), so the caller's event loop keeps running. */
export function prepareCoreModule(name: string, bytes: Uint8Array, options: CoreModuleOptions = {}): Promise<CoreModule> {
  return prepareOffThread('core', name, bytes, options);
}

/** The preparation itself, on the calling thread: module-preparation-worker.ts runs it. */
export async function prepareCoreModuleOnThisThread(name: string, bytes: Uint8Array, options: CoreModuleOptions = {}): Promise<CoreModule> {
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < 8 || WASM_MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InvalidModuleError(`${name}: not a WebAssembly binary (no \\0asm header)`);
  }
  if (isComponent(bytes)) {
    throw new InvalidModuleError(`${name}: this is a WebAssembly component, not a core module`);
  }
  let original: WebAssembly.Module;
  enableWasmFeatures(); // relaxed-SIMD kernel builds compile only with it on Node 20
  try {
    original = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
  } catch (cause) {
    throw new InvalidModuleError(`${name}: does not compile: ${(cause as Error).message}`, { cause });
  }
  const exports = new Map(WebAssembly.Module.exports(original).map((e) => [e.name, e.kind]));
  const handleMessage = exports.get(HANDLE_MESSAGE_EXPORT) === 'function' && exports.get('plex_handle') !== 'function';
  if (handleMessage) checkHandleMessageAbi(name, exports);
  const missing = handleMessage ? [] : REQUIRED_EXPORTS.filter((e) => exports.get(e) !== 'function');
  if (missing.length > 0) {
    throw new InvalidModuleError(`${name}: missing required export${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (see docs/core-abi.md)`);
  }
  const imports = WebAssembly.Module.imports(original);
  const unknown = imports.filter((i) => !(i.module === WASI_MODULE ? WASI_FUNCTIONS.has(i.name) && i.kind === 'function' : ALLOWED_IMPORTS.has(`${i.module}.${i.name}`))).map((i) => `${i.module}.${i.name}`);
  if (unknown.length > 0) {
    throw new InvalidModuleError(`${name}: imports the host does not provide: ${unknown.join(', ')}`);
  }
  const importsMemory = imports.some((i) => i.module === 'env' && i.name === 'memory');
  if (!importsMemory && exports.get('memory') !== 'memory') {
    throw new InvalidModuleError(`${name}: neither exports "memory" nor imports "env.memory"`);
  }
  const watchdog = options.watchdog ?? true;
  const maxMemoryMb = options.maxMemoryMb ?? 64;
  if (!Number.isFinite(maxMemoryMb) || maxMemoryMb <= 0 || maxMemoryMb > 4096) {
    throw new InvalidModuleError(`maxMemoryMb must be in (0, 4096], got ${maxMemoryMb}`);
  }
  const maxMemoryPages = Math.floor((maxMemoryMb * 1024 * 1024) / 65536);
  const maxTableElements = checkTableCap(options.maxTableElements);
  const instrumented = await instrumentCoreModule(bytes, { watchdog, maxMemoryPages, maxTableElements });
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(instrumented.bytes as Uint8Array<ArrayBuffer>);
  } catch (cause) {
    throw new InvalidModuleError(`${name}: the instrumented module does not compile: ${(cause as Error).message}`, { cause });
  }
  // A world the deploy names wins over the one the build wrote into the module.
  const embedded = WebAssembly.Module.customSections(original, WORLD_SECTION);
  const declared = options.world ?? (embedded.length === 0 ? undefined : new TextDecoder().decode(embedded[embedded.length - 1]));
  const grants = coreModuleGrants(name, declared, imports.some((i) => i.module === 'plex' && i.name === 'log'));
  return {
    kind: 'core',
    name,
    module,
    watchdog,
    grants,
    maxMemoryPages,
    reservedBytes: reservedBytes(instrumented, maxMemoryPages),
    importedMemory: instrumented.importedMemory,
    has: {
      plex_init: exports.get(handleMessage ? 'init' : 'plex_init') === 'function',
      plex_get_state: exports.get(handleMessage ? 'get_state' : 'plex_get_state') === 'function',
      plex_set_state: exports.get(handleMessage ? 'init' : 'plex_set_state') === 'function',
      handle_message: handleMessage,
      plex_base: exports.get('plex_base') === 'global',
      wasi: imports.some((i) => i.module === WASI_MODULE),
      _initialize: exports.get('_initialize') === 'function',
    },
  };
}

/** The handle_message ABI needs the module's own memory: the runtime grows it for the inputs. */
function checkHandleMessageAbi(name: string, exports: Map<string, string>): void {
  if (exports.get('memory') !== 'memory') throw new InvalidModuleError(`${name}: a handle_message module must export its memory as "memory" (see docs/core-abi.md)`);
}

export function checkTableCap(value: number | undefined): number {
  const cap = value ?? DEFAULT_MAX_TABLE_ELEMENTS;
  if (!Number.isSafeInteger(cap) || cap < 1 || cap > 10_000_000) throw new InvalidModuleError(`maxTableElements must be an integer in 1..10000000, got ${value}`);
  return cap;
}

/** Linear memory (defined, or imported and clamped as actor-instance.ts clamps it) plus tables. */
export function reservedBytes(instrumented: InstrumentResult, maxMemoryPages: number): number {
  const imported = instrumented.importedMemory;
  const pages = instrumented.definedMemory?.maximum ?? (imported === undefined ? 0 : Math.min(imported.maximum ?? maxMemoryPages, maxMemoryPages));
  return pages * 65536 + instrumented.tableElements * TABLE_ELEMENT_BYTES;
}
