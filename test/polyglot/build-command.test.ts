import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildNative } from '../../src/polyglot/build-native.js';
import { ActorRuntime } from '../../src/runtime/actor-runtime.js';

/**
 * `plexspaces build` on C, Go and Rust sources, through the CLI: it picks the toolchain from the
 * path, and a missing compiler is named with how to install it.
 */
const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'src/cli/main.ts');
const scratch = mkdtempSync(join(tmpdir(), 'plex-build-cmd-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function build(source: string, out: string, env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['--import', 'tsx', CLI, 'build', source, '-o', out], { cwd: ROOT, env, encoding: 'utf8', timeout: 170_000 });
}

/** Exports of a built core module. */
function exportsOf(path: string): string[] {
  return WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(path))).map((e) => e.name);
}

/** A PATH holding only node (for tsx) and the given fake tools. */
function pathWith(tools: Record<string, string> = {}): string {
  const bin = mkdtempSync(join(scratch, 'bin-'));
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const [name, script] of Object.entries(tools)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

describe('plexspaces build for core modules', () => {
  it('writes the narrowest world that covers the SDK calls into the module, and the runtime holds the actor to it', async () => {
    const cases: [string, string][] = [
      ['examples/polyglot/rust/calculator', 'simple-actor'],
      ['examples/polyglot/pipeline/transform', 'coordination-actor'],
      // KV and logging: no narrow world has both.
      ['examples/polyglot/c/counter/counter.c', 'plexspaces-actor'],
    ];
    const runtime = new ActorRuntime({ workers: 1 });
    try {
      for (const [path, world] of cases) {
        const built = await buildNative(join(ROOT, path));
        expect(built.world, path).toBe(world);
        await runtime.deploy(path, built.wasm);
        expect(runtime.moduleGrants(path)?.world, path).toBe(world);
        // A deploy that names a world wins over the module's own.
        await runtime.deploy(`${path}:wide`, built.wasm, { world: 'plexspaces-actor' });
        expect(runtime.moduleGrants(`${path}:wide`)?.world).toBe('plexspaces-actor');
      }
      // A raw plex_call with a computed op cannot be attributed: no world is written, the module keeps the whole core ABI.
      const raw = join(scratch, 'raw.c');
      writeFileSync(raw, '#include "plex.h"\nPLEX_EXPORT(plex_handle) int32_t plex_handle(const uint8_t *t, int32_t tl, const uint8_t *p, int32_t pl) { int32_t op = p[0]; return plex_call(op, p, pl, 0, 0); }\n');
      const opaque = await buildNative(raw);
      expect(opaque.world).toBeUndefined();
      await runtime.deploy('raw', opaque.wasm);
      expect(runtime.moduleGrants('raw')?.world).toBe('plexspaces:core@0.1.0');
      // A module that says simple-actor is refused a tuple-space call at run time (the node checks every call).
      const sneaky = join(scratch, 'sneaky.c');
      writeFileSync(sneaky, '#include "plex.h"\nPLEX_EXPORT(plex_handle) int32_t plex_handle(const uint8_t *t, int32_t tl, const uint8_t *p, int32_t pl) { return plex_call(PLEX_OP_TS_WRITE, "[1]", 3, plex_reply, 256) < 0 ? plex_reply_str("refused") : plex_reply_str("written"); }\n');
      const narrow = await buildNative(sneaky);
      expect(narrow.world).toBe('coordination-actor');
      await runtime.deploy('sneaky-simple', narrow.wasm, { world: 'simple-actor' });
      const id = await runtime.spawn('sneaky-simple');
      expect(new TextDecoder().decode(await runtime.ask(id, 'go', '{}'))).toBe('refused');
    } finally {
      await runtime.close();
    }
  }, 240_000);

  it('builds a .c file with clang and wasi-libc', () => {
    const out = join(scratch, 'counter.wasm');
    const result = build('examples/polyglot/c/counter/counter.c', out);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^wrote .*counter\.wasm: \d+ KiB c core module for world plexspaces-actor in [\d.]+ s\n$/);
    expect(exportsOf(out)).toEqual(expect.arrayContaining(['plex_handle', 'plex_alloc', 'plex_reply_ptr', 'plex_get_state', '_initialize']));
  });

  it('builds a directory with go.mod with Go, found even when it is not on PATH', () => {
    const out = join(scratch, 'rate-limiter.wasm');
    // PATH without Go (and no GOROOT): it is found where Go's installer puts it, /usr/local/go/bin.
    const { GOROOT: _goroot, ...env } = process.env;
    const result = build('examples/polyglot/go/rate-limiter', out, { ...env, PATH: `${pathWith()}:/usr/bin:/bin` });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ go core module /);
    expect(exportsOf(out)).toEqual(expect.arrayContaining(['plex_handle', 'plex_init', '_initialize']));
  }, 180_000);

  it('builds a directory with Cargo.toml with the cargo whose rustc has the wasm32 std', () => {
    const out = join(scratch, 'calculator.wasm');
    const result = build('examples/polyglot/rust/calculator', out);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ rust core module /);
    expect(exportsOf(out)).toEqual(expect.arrayContaining(['init', 'handle_message', 'get_state']));
  }, 180_000);

  it('names clang and how to install it when it is not on PATH', () => {
    const result = build('examples/polyglot/c/counter/counter.c', join(scratch, 'never.wasm'), { ...process.env, PATH: pathWith() });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PLEX_ERR_TOOLCHAIN_MISSING: building C needs clang, which is not on PATH');
    expect(result.stderr).toContain('apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32');
  });

  it('names wasi-libc when clang is there but cannot find it', () => {
    const fakeClang = 'case "$*" in *-print-file-name=libc.a*) echo libc.a ;; *) echo /nonexistent ;; esac';
    const result = build('examples/polyglot/c/counter/counter.c', join(scratch, 'never.wasm'), { ...process.env, PATH: pathWith({ clang: fakeClang, 'wasm-ld': 'exit 0' }) });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/PLEX_ERR_TOOLCHAIN_MISSING: building C needs wasi-libc for \S+clang, which is not installed/);
  });

  it('names cargo when none is on PATH, and says why a rustc without the wasm32 std does not do', () => {
    const none = build('examples/polyglot/rust/calculator', join(scratch, 'never.wasm'), { ...process.env, PATH: pathWith() });
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('PLEX_ERR_TOOLCHAIN_MISSING: building Rust needs cargo with the wasm32 target (no cargo and rustc are on PATH)');
    expect(none.stderr).toContain('apt-get install rustc cargo libstd-rust-dev-wasm32');
    const sysroot = join(scratch, 'sysroot-without-wasm32');
    mkdirSync(join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu'), { recursive: true });
    const rustupLike = pathWith({ rustc: `echo ${sysroot}`, cargo: 'exit 1' });
    const wrong = build('examples/polyglot/rust/calculator', join(scratch, 'never.wasm'), { ...process.env, PATH: rustupLike });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`${join(rustupLike, 'rustc')} has no wasm32-unknown-unknown standard library`);
  });

  it('refuses a directory that is neither a Go module nor a Cargo package', () => {
    const result = build('examples/polyglot', join(scratch, 'never.wasm'));
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('examples/polyglot is a directory without go.mod (a Go module) or Cargo.toml (a Rust package)');
  });
});
