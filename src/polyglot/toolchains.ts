/**
 * Finding the compilers that build core-module actors from C, Go and Rust
 * (docs/polyglot.md). Each lookup either answers the command to run or
 * throws a `ToolchainMissingError` that names the missing tool and says how
 * to install it: a build never falls back to something that half works.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { ToolchainMissingError } from '../errors.js';

export interface ToolchainLookup {
  /** The environment whose PATH is searched (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Where Go is installed when it is not on PATH (go.dev's tarball). */
const GO_FALLBACK_DIRS = ['/usr/local/go/bin'];
/** `//go:wasmexport` and `-buildmode=c-shared` for wasip1 arrived in Go 1.24. */
const MIN_GO_MINOR = 24;

export const INSTALL_HINTS = {
  clang: 'install clang, lld, wasi-libc and the wasm32 compiler runtime (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32)',
  go: `install Go 1.${MIN_GO_MINOR} or later from https://go.dev/dl and put its bin directory on PATH (looked on PATH, in $GOROOT/bin and in ${GO_FALLBACK_DIRS.join(', ')})`,
  cargo:
    'install a Rust toolchain with the wasm32 standard library (Debian: apt-get install rustc cargo libstd-rust-dev-wasm32, and put /usr/bin before ~/.cargo/bin on PATH; with rustup: rustup target add wasm32-unknown-unknown)',
  rustComponents:
    'Rust components need Rust 1.85 or later with its standard library sources: run sh scripts/unpack-rust-web.sh (Debian 12: unpacks rustc-web 1.96 into .plexspaces/toolchains/rust-web), or set PLEXSPACES_RUST_COMPONENT_TOOLCHAIN to a directory with bin/rustc and bin/cargo whose sysroot has lib/rustlib/src/rust/library',
} as const;

/** Where `name` is on the PATH of `env`, or undefined. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    if (isExecutable(path)) return path;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function output(command: string, args: string[], env: NodeJS.ProcessEnv): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', env });
  return result.error === undefined && result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * clang that can compile and link C for wasm32-wasi with wasi-libc: the
 * compiler, wasm-ld, the libc and the compiler runtime are four packages on
 * Debian, and each missing one is named.
 */
export function findWasiClang(lookup: ToolchainLookup = {}): string {
  const env = lookup.env ?? process.env;
  const clang = onPath('clang', env);
  if (clang === undefined) throw new ToolchainMissingError('clang', `building C needs clang, which is not on PATH: ${INSTALL_HINTS.clang}`);
  if (onPath('wasm-ld', env) === undefined && !isExecutable(join(dirname(clang), 'wasm-ld'))) {
    throw new ToolchainMissingError('wasm-ld', `building C needs wasm-ld (lld), which is not on PATH: ${INSTALL_HINTS.clang}`);
  }
  const libc = output(clang, ['--target=wasm32-wasi', '-print-file-name=libc.a'], env);
  if (libc === undefined || !existsSync(libc)) throw new ToolchainMissingError('wasi-libc', `building C needs wasi-libc for ${clang}, which is not installed: ${INSTALL_HINTS.clang}`);
  const runtime = output(clang, ['--target=wasm32-wasi', '-print-libgcc-file-name'], env);
  if (runtime === undefined || !existsSync(runtime)) {
    throw new ToolchainMissingError('libclang-rt wasm32', `building C needs clang's wasm32 compiler runtime (${runtime ?? 'libclang_rt.builtins-wasm32.a'}), which is not installed: ${INSTALL_HINTS.clang}`);
  }
  return clang;
}

/** A Go of at least 1.24, on PATH or where its installer puts it. */
export function findGo(lookup: ToolchainLookup = {}): string {
  const env = lookup.env ?? process.env;
  const candidates = [onPath('go', env), env.GOROOT ? join(env.GOROOT, 'bin', 'go') : undefined, ...GO_FALLBACK_DIRS.map((d) => join(d, 'go'))];
  let tooOld: string | undefined;
  for (const go of candidates) {
    if (go === undefined || !isExecutable(go)) continue;
    const version = output(go, ['env', 'GOVERSION'], env);
    const minor = /^go1\.(\d+)/.exec(version ?? '')?.[1];
    if (minor !== undefined && Number(minor) >= MIN_GO_MINOR) return go;
    tooOld = `${go} is ${version ?? 'unknown'}`;
  }
  throw new ToolchainMissingError('go', `building Go needs Go 1.${MIN_GO_MINOR} or later${tooOld ? ` (${tooOld})` : ', which is not installed'}: ${INSTALL_HINTS.go}`);
}

export interface RustToolchain {
  readonly cargo: string;
  readonly rustc: string;
  readonly sysroot: string;
}

/**
 * The first cargo on PATH whose rustc has the wasm32-unknown-unknown
 * standard library (a rustup toolchain usually has not, and cannot download
 * it here; Debian's /usr/bin one has).
 */
export function findRust(lookup: ToolchainLookup = {}): RustToolchain {
  const env = lookup.env ?? process.env;
  const seen: string[] = [];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const cargo = join(dir, 'cargo');
    const rustc = join(dir, 'rustc');
    if (!isExecutable(cargo) || !isExecutable(rustc)) continue;
    const sysroot = output(rustc, ['--print', 'sysroot'], env);
    if (sysroot !== undefined && existsSync(join(sysroot, 'lib', 'rustlib', 'wasm32-unknown-unknown'))) return { cargo, rustc, sysroot };
    seen.push(rustc);
  }
  const why = seen.length === 0 ? 'no cargo and rustc are on PATH' : `${seen.join(', ')} ha${seen.length > 1 ? 've' : 's'} no wasm32-unknown-unknown standard library`;
  throw new ToolchainMissingError('cargo', `building Rust needs cargo with the wasm32 target (${why}): ${INSTALL_HINTS.cargo}`);
}

/** A Rust toolchain for components: cargo and rustc, the environment they run in, and wasm-ld to link with. */
export interface RustComponentToolchain {
  readonly cargo: string;
  readonly rustc: string;
  readonly env: NodeJS.ProcessEnv;
  readonly linker: string;
}

/** The checkout's (or package's) unpacked rustc-web: scripts/unpack-rust-web.sh puts it there. */
const UNPACKED_RUST_WEB = join(import.meta.dirname, '..', '..', '.plexspaces', 'toolchains', 'rust-web', 'usr');

/**
 * A Rust that builds components: new enough for wit-bindgen, with the
 * standard library's sources (it is built for wasm32 with -Zbuild-std, as no
 * wasm32 std can be downloaded here). $PLEXSPACES_RUST_COMPONENT_TOOLCHAIN
 * first, then the unpacked rustc-web. wasm-ld (lld) links.
 */
export function findRustComponents(lookup: ToolchainLookup = {}): RustComponentToolchain {
  const base = lookup.env ?? process.env;
  const prefix = base.PLEXSPACES_RUST_COMPONENT_TOOLCHAIN ?? UNPACKED_RUST_WEB;
  const rustc = join(prefix, 'bin', 'rustc');
  const cargo = join(prefix, 'bin', 'cargo');
  if (!isExecutable(rustc) || !isExecutable(cargo)) throw new ToolchainMissingError('rustc-web', `no Rust for components in ${prefix}: ${INSTALL_HINTS.rustComponents}`);
  // The unpacked packages keep their shared libraries (rustc's driver, LLVM) beside the binaries, not where ld.so looks.
  const libs = [join(prefix, 'lib', 'x86_64-linux-gnu'), join(prefix, 'lib', 'llvm-22', 'lib'), base.LD_LIBRARY_PATH].filter((d): d is string => d !== undefined && d !== '');
  const env = { ...base, LD_LIBRARY_PATH: libs.join(delimiter) };
  const sysroot = output(rustc, ['--print', 'sysroot'], env);
  if (sysroot === undefined) throw new ToolchainMissingError('rustc-web', `${rustc} does not run: ${INSTALL_HINTS.rustComponents}`);
  if (!existsSync(join(sysroot, 'lib', 'rustlib', 'src', 'rust', 'library'))) throw new ToolchainMissingError('rustc-web', `${rustc} has no standard library sources (${sysroot}/lib/rustlib/src/rust/library): ${INSTALL_HINTS.rustComponents}`);
  const linker = onPath('wasm-ld-14', base) ?? onPath('wasm-ld', base);
  if (linker === undefined) throw new ToolchainMissingError('wasm-ld', `Rust components link with wasm-ld: ${INSTALL_HINTS.clang}`);
  return { cargo, rustc, env, linker };
}
