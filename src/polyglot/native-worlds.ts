/**
 * The narrowest world for a C, Go or Rust core module, chosen at build time.
 *
 * A core module calls the host through `plex.call(op, …)` by number and
 * has no imports that say which capabilities it uses, so the build reads
 * the actor's own sources for the SDK functions they name (plex.h's
 * `plex_ts_write`, the Go SDK's `h.TsWrite`, the Rust SDK's
 * `host::ts_write`, or a `PLEX_OP_*` constant), adds logging when the
 * linked module imports `plex.log`, and writes the narrowest platform world
 * that covers them into the module as a custom section
 * (`plexspaces:world`). The runtime takes that section as the module's
 * declared world when the deploy names none (core-module.ts), and checks
 * every host call against it. A call the reader cannot attribute — the raw
 * `plex_call` / `raw_call` with a computed op, a hand-written import of the
 * `plex` module — leaves the module without a section: it keeps the whole
 * core ABI, as before. A name found in a comment only widens the world.
 */
import { capabilitiesOfOp, narrowestWorld, WORLD_SECTION, type Capability, type PlatformWorld } from '../runtime/capabilities.js';
import { HostOp } from '../runtime/core-abi.js';
import type { NativeLanguage } from './build-native.js';


const C_FUNCTIONS: Readonly<Record<string, Capability>> = {
  plex_log: 'logging',
  plex_now_ms: 'logging',
  plex_self_id: 'messaging',
  plex_send: 'messaging',
  plex_ask: 'messaging',
  plex_ts_write: 'tuple-space',
  plex_ts_read: 'tuple-space',
  plex_ts_take: 'tuple-space',
  plex_kv_get: 'key-value',
  plex_kv_put: 'key-value',
  plex_kv_delete: 'key-value',
};

const GO_METHODS: Readonly<Record<string, Capability>> = {
  Debug: 'logging',
  Info: 'logging',
  Warn: 'logging',
  Error: 'logging',
  NowMs: 'logging',
  ActorID: 'messaging',
  Send: 'messaging',
  Ask: 'messaging',
  AskTimeout: 'messaging',
  TsWrite: 'tuple-space',
  TsRead: 'tuple-space',
  TsTake: 'tuple-space',
  TsTakeWait: 'tuple-space',
  TsReadAll: 'tuple-space',
  KvGet: 'key-value',
  KvPut: 'key-value',
  KvPutTTL: 'key-value',
  KvDelete: 'key-value',
  KvList: 'key-value',
  PgJoin: 'process-groups',
  PgLeave: 'process-groups',
  PgMembers: 'process-groups',
  PgBroadcast: 'process-groups',
  LockAcquire: 'locks',
  LockRelease: 'locks',
};

const RUST_FUNCTIONS: Readonly<Record<string, Capability>> = {
  log_line: 'logging',
  info: 'logging',
  actor_id: 'messaging',
  sender: 'messaging',
  tell: 'messaging',
  ask: 'messaging',
  ask_timeout: 'messaging',
  ts_write: 'tuple-space',
  ts_read: 'tuple-space',
  ts_take: 'tuple-space',
  ts_take_wait: 'tuple-space',
  ts_read_all: 'tuple-space',
  kv_get: 'key-value',
  kv_put: 'key-value',
};

/** `PLEX_OP_TS_READ_ALL` → the capabilities of HostOp.TsReadAll (undefined: no such op). */
function capabilitiesOfOpConstant(constant: string): readonly Capability[] | undefined {
  const name = constant
    .slice('PLEX_OP_'.length)
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  const op = (HostOp as Record<string, number>)[name];
  return op === undefined ? undefined : capabilitiesOfOp(op);
}

/** The capabilities the sources use, always with messaging; undefined when a call cannot be attributed. */
export function nativeCapabilitiesUsed(language: NativeLanguage, sources: readonly string[]): Set<Capability> | undefined {
  const used = new Set<Capability>(['messaging']);
  for (const text of sources) {
    if (language === 'c') {
      for (const [name, capability] of Object.entries(C_FUNCTIONS)) if (new RegExp(`\\b${name}\\s*\\(`).test(text)) used.add(capability);
      for (const match of text.matchAll(/\bPLEX_OP_[A-Z_]+\b/g)) {
        const capabilities = capabilitiesOfOpConstant(match[0]);
        if (capabilities === undefined) return undefined;
        for (const c of capabilities) used.add(c);
      }
      // plex_call with an op that is not a named constant; or the plex module imported by hand.
      if (/\bplex_call\s*\(\s*(?!PLEX_OP_)/.test(text) || /import_module\s*\(\s*"plex"\s*\)/.test(text)) return undefined;
    } else if (language === 'go') {
      for (const [name, capability] of Object.entries(GO_METHODS)) if (new RegExp(`\\.${name}\\s*\\(`).test(text)) used.add(capability);
      if (/go:wasmimport\s+plex\b/.test(text)) return undefined;
    } else {
      for (const [name, capability] of Object.entries(RUST_FUNCTIONS)) if (new RegExp(`\\b${name}\\s*\\(`).test(text)) used.add(capability);
      if (/\braw_call\s*\(/.test(text) || /wasm_import_module\s*=\s*"plex"/.test(text)) return undefined;
    }
  }
  return used;
}

/** The narrowest world for a built module, or undefined (keep the whole core ABI). */
export function nativeWorld(language: NativeLanguage, sources: readonly string[], wasm: Uint8Array): PlatformWorld | undefined {
  const used = nativeCapabilitiesUsed(language, sources);
  if (used === undefined) return undefined;
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>));
  if (imports.some((i) => i.module === 'plex' && i.name === 'log')) used.add('logging');
  return narrowestWorld(used);
}

/** `wasm` with a `plexspaces:world` custom section naming `world` appended. */
export function withWorldSection(wasm: Uint8Array, world: string): Uint8Array {
  const name = new TextEncoder().encode(WORLD_SECTION);
  const payload = new TextEncoder().encode(world);
  const body = [...leb128(name.length), ...name, ...payload];
  const section = new Uint8Array([0, ...leb128(body.length), ...body]);
  const out = new Uint8Array(wasm.length + section.length);
  out.set(wasm);
  out.set(section, wasm.length);
  return out;
}

function leb128(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}
