/**
 * Builds core-module actors from C, Go and Rust sources with the machine's
 * compilers (toolchains.ts), for `plexspaces build` and the tests. Every
 * build runs the compiler as a child process and answers the module's
 * bytes; a failing compiler is a `BuildFailedError` carrying its output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { BuildFailedError, UsageError } from '../errors.js';
import { nativeWorld, withWorldSection } from './native-worlds.js';
import { findGo, findRust, findRustComponents, findWasiClang, type ToolchainLookup } from './toolchains.js';

/** The checkout (or installed package) root: sdks/ lives there. */
const ROOT = resolve(import.meta.dirname, '..', '..');
/** The C SDK's header directory (sdks/c/plex.h). */
export const C_SDK_DIR = join(ROOT, 'sdks', 'c');
/** Debian's vendored crates (librust-*-dev): Rust builds use them offline when present. */
const DEBIAN_CRATES = '/usr/share/cargo/registry';

export type NativeLanguage = 'c' | 'go' | 'rust';

export interface NativeBuild {
  readonly language: NativeLanguage;
  readonly wasm: Uint8Array;
  /** A Rust crate on the components SDK builds a component; everything else a core module. */
  readonly kind: 'core module' | 'component';
  /** A core module's world, written into it (native-worlds.ts); undefined: the whole core ABI (or a component, whose imports say). */
  readonly world?: string;
  readonly millis: number;
}

/** Which toolchain a source builds with: a `.c` file, a directory with go.mod, or one with Cargo.toml. */
export function nativeLanguageOf(path: string): NativeLanguage | undefined {
  if (path.endsWith('.c')) return 'c';
  if (!existsSync(path) || !statSync(path).isDirectory()) return undefined;
  if (existsSync(join(path, 'go.mod'))) return 'go';
  if (existsSync(join(path, 'Cargo.toml'))) return 'rust';
  return undefined;
}

export async function buildNative(path: string, lookup: ToolchainLookup = {}): Promise<NativeBuild> {
  const language = nativeLanguageOf(path);
  const started = performance.now();
  let wasm: Uint8Array;
  let kind: NativeBuild['kind'] = 'core module';
  switch (language) {
    case 'c':
      wasm = buildC(path, lookup);
      break;
    case 'go':
      wasm = buildGo(path, lookup);
      break;
    case 'rust':
      if (isComponentCrate(path)) {
        wasm = await buildRustComponent(path, lookup);
        kind = 'component';
      } else wasm = buildRust(path, lookup);
      break;
    default:
      throw new UsageError(`${path}: not a .c file, nor a directory with go.mod or Cargo.toml`);
  }
  let world: string | undefined;
  if (kind === 'core module') {
    world = nativeWorld(language, actorSources(language, path), wasm);
    if (world !== undefined) wasm = withWorldSection(wasm, world);
  }
  return { language, wasm, kind, millis: performance.now() - started, world };
}

/** The actor's own sources: the C file, a Go module's .go files, a Rust crate's src/**.rs (never the SDK's). */
function actorSources(language: NativeLanguage, path: string): string[] {
  if (language === 'c') return [readFileSync(path, 'utf8')];
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (entry.name !== 'target' && entry.name !== 'vendor' && !entry.name.startsWith('.')) walk(join(dir, entry.name));
      } else if (entry.name.endsWith(language === 'go' ? '.go' : '.rs')) files.push(readFileSync(join(dir, entry.name), 'utf8'));
    }
  };
  walk(language === 'rust' ? join(path, 'src') : path);
  return files;
}

/**
 * A C file with wasi-libc, as a WASI reactor (`_initialize` runs the
 * constructors once), with sdks/c on the include path.
 */
export function buildC(file: string, lookup: ToolchainLookup = {}): Uint8Array {
  const clang = findWasiClang(lookup);
  return inTempDir((dir) => {
    const out = join(dir, 'actor.wasm');
    run(clang, ['--target=wasm32-wasi', '-O2', '-msimd128', '-mexec-model=reactor', `-I${C_SDK_DIR}`, '-o', out, file], { env: lookup.env });
    return new Uint8Array(readFileSync(out));
  });
}

/** A Go module as a wasip1 reactor (`-buildmode=c-shared`, exports by `//go:wasmexport`). */
export function buildGo(dir: string, lookup: ToolchainLookup = {}): Uint8Array {
  const go = findGo(lookup);
  return inTempDir((tmp) => {
    const out = join(tmp, 'actor.wasm');
    // GOTOOLCHAIN=local: never download another Go; -mod=mod resolves the SDK through go.mod's replace;
    // -buildvcs=false: a module inside a git checkout builds without git on PATH, and the same bytes either way.
    const env: NodeJS.ProcessEnv = { ...(lookup.env ?? process.env), GOOS: 'wasip1', GOARCH: 'wasm', GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod -buildvcs=false' };
    // Go refuses to build without a cache directory; a service account may have no HOME.
    if (env.GOCACHE === undefined && env.XDG_CACHE_HOME === undefined && env.HOME === undefined) env.GOCACHE = join(tmpdir(), 'plexspaces-go-cache');
    run(go, ['build', '-buildmode=c-shared', '-trimpath', '-o', out, '.'], { cwd: dir, env });
    return new Uint8Array(readFileSync(out));
  });
}

/**
 * A Cargo package (a `cdylib`) for wasm32-unknown-unknown, release profile.
 * With Debian's vendored crates present the build is offline from them;
 * RUSTC_BOOTSTRAP lets a `#![no_std]` + alloc crate name its allocation
 * error handler on Rust 1.63.
 */
export function buildRust(dir: string, lookup: ToolchainLookup = {}): Uint8Array {
  const rust = findRust(lookup);
  // Absolute: cargo runs in dir, and a relative CARGO_TARGET_DIR would be taken from there a second time.
  const target = resolve(dir, 'target');
  const vendored = existsSync(DEBIAN_CRATES)
    ? ['--offline', '--config', 'source.crates-io.replace-with="debian"', '--config', `source.debian.directory="${DEBIAN_CRATES}"`]
    : [];
  run(rust.cargo, ['build', '--release', '--target', 'wasm32-unknown-unknown', ...vendored], {
    cwd: dir,
    env: { ...(lookup.env ?? process.env), RUSTC: rust.rustc, RUSTC_BOOTSTRAP: '1', CARGO_TARGET_DIR: target },
  });
  const release = join(target, 'wasm32-unknown-unknown', 'release');
  const built = readdirSync(release).filter((f) => f.endsWith('.wasm'));
  if (built.length !== 1) throw new BuildFailedError(`${dir}: expected one .wasm in ${release}, found ${built.length === 0 ? 'none' : built.join(', ')} (is the crate a cdylib?)`);
  return new Uint8Array(readFileSync(join(release, built[0])));
}

/** A crate built as a component: it depends on the components SDK (plexspaces-sdk) or on wit-bindgen itself. */
export function isComponentCrate(dir: string): boolean {
  const manifest = readFileSync(join(dir, 'Cargo.toml'), 'utf8');
  return /^\s*(plexspaces-sdk|wit-bindgen)\s*=/m.test(manifest);
}

/**
 * A Cargo package (a `cdylib`) as a component of the plexspaces:simple-actor
 * world: built for wasm32-unknown-unknown with the standard library from
 * source (-Zbuild-std) by the components toolchain, its crates from
 * crates.io, then the core module wit-bindgen wrote (its world embedded)
 * turned into a component with jco. No WASI: the world's host is all it imports.
 */
export async function buildRustComponent(dir: string, lookup: ToolchainLookup = {}): Promise<Uint8Array> {
  const rust = findRustComponents(lookup);
  const target = resolve(dir, 'target');
  run(rust.cargo, ['build', '--release', '--target', 'wasm32-unknown-unknown', '-Zbuild-std=std,panic_abort'], {
    cwd: dir,
    env: { ...rust.env, RUSTC: rust.rustc, RUSTC_BOOTSTRAP: '1', CARGO_TARGET_DIR: target, RUSTFLAGS: `-C linker=${rust.linker}` },
  });
  const release = join(target, 'wasm32-unknown-unknown', 'release');
  const built = readdirSync(release).filter((f) => f.endsWith('.wasm'));
  if (built.length !== 1) throw new BuildFailedError(`${dir}: expected one .wasm in ${release}, found ${built.length === 0 ? 'none' : built.join(', ')} (is the crate a cdylib?)`);
  const { componentNew } = await import('@bytecodealliance/jco');
  try {
    return new Uint8Array(await componentNew(readFileSync(join(release, built[0]))));
  } catch (cause) {
    throw new BuildFailedError(`${dir}: the module does not make a component (does it call export_actor!, through #[gen_server_actor]?): ${(cause as Error).message}`);
  }
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): void {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (result.error !== undefined) throw new BuildFailedError(`${basename(command)} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    throw new BuildFailedError(`${basename(command)} ${args.join(' ')} failed (exit ${result.status ?? result.signal}):\n${`${result.stdout}${result.stderr}`.trim()}`);
  }
}

function inTempDir<T>(body: (dir: string) => T): T {
  mkdirSync(tmpdir(), { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'plexspaces-build-'));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
