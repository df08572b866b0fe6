// Builds the actors of src/wasm into dist/wasm/*.wasm (part of `npm run
// build`): the AssemblyScript ones in actors/ with asc (npm only; its API in
// one process, since starting asc once per file costs seconds each), and the
// C ones in c/ with clang when clang can target wasm32 — when it cannot, they
// are skipped with the reason printed.
import { spawnSync } from 'node:child_process';
import asc from 'assemblyscript/asc';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sources = join(root, 'src', 'wasm', 'actors');
const out = join(root, 'dist', 'wasm');
mkdirSync(out, { recursive: true });

const started = Date.now();
for (const file of readdirSync(sources).filter((f) => f.endsWith('.ts')).sort()) {
  const name = basename(file, '.ts');
  // An actor whose kernel tests ASC_FEATURE_RELAXED_SIMD (it says so in its text) is built a second
  // time with relaxed SIMD, as the shared kernels below are.
  const relaxed = readFileSync(join(sources, file), 'utf8').includes('ASC_FEATURE_RELAXED_SIMD');
  for (const variant of relaxed ? ['', '-relaxed'] : ['']) {
    const { error, stderr } = await asc.main([
      join(sources, file),
      '--enable', 'simd',
      ...(variant ? ['--enable', 'relaxed-simd'] : []),
      '-O3',
      '--runtime', 'incremental',
      '--noAssert',
      '--outFile', join(out, `${name}${variant}.wasm`),
    ]);
    if (error) {
      process.stderr.write(stderr.toString());
      process.stderr.write(`asc failed on ${file}${variant}: ${error.message}\n`);
      process.exit(1);
    }
  }
}
// Kernels on a shared memory (see docs/core-abi.md, "Zero-copy data"): they
// import the memory the runtime shares and allocate nothing.
const sharedSources = join(sources, 'shared');
for (const file of readdirSync(sharedSources).filter((f) => f.endsWith('.ts')).sort()) {
  const name = basename(file, '.ts');
  // Kernels that test ASC_FEATURE_RELAXED_SIMD are built a second time with
  // relaxed SIMD (fused multiply-add); the runtime picks that build where
  // the engine supports it.
  const relaxed = readFileSync(join(sharedSources, file), 'utf8').includes('ASC_FEATURE_RELAXED_SIMD');
  for (const variant of relaxed ? ['', '-relaxed'] : ['']) {
    const { error, stderr } = await asc.main([
      join(sharedSources, file),
      '--enable', 'simd',
      ...(variant ? ['--enable', 'relaxed-simd'] : []),
      '--enable', 'threads',
      '--importMemory',
      '--sharedMemory',
      '--initialMemory', '1',
      '--maximumMemory', '65536',
      '-O3',
      '--runtime', 'stub',
      '--noAssert',
      '--outFile', join(out, `shared-${name}${variant}.wasm`),
    ]);
    if (error) {
      process.stderr.write(stderr.toString());
      process.stderr.write(`asc failed on shared/${file}${variant}: ${error.message}\n`);
      process.exit(1);
    }
  }
}
process.stdout.write(`built AssemblyScript actors into dist/wasm in ${Date.now() - started} ms\n`);

const cSources = join(root, 'src', 'wasm', 'c');
const clang = process.env.CLANG ?? 'clang';
const probe = spawnSync(clang, ['--target=wasm32', '-print-targets'], { encoding: 'utf8' });
if (probe.error || probe.status !== 0 || !/wasm32/.test(probe.stdout)) {
  process.stdout.write(`skipped the C actors: ${clang} with a wasm32 target is not installed (Debian: apt-get install clang lld)\n`);
} else {
  for (const file of readdirSync(cSources).filter((f) => f.endsWith('.c')).sort()) {
    const name = basename(file, '.c');
    const result = spawnSync(
      clang,
      ['--target=wasm32', '-O3', '-msimd128', '-mbulk-memory', '-nostdlib', '-Wl,--no-entry', '-o', join(out, `c-${name}.wasm`), join(cSources, file)],
      { encoding: 'utf8' },
    );
    if (result.status !== 0) {
      process.stderr.write(result.stderr);
      process.stderr.write(`clang failed on ${file}\n`);
      process.exit(1);
    }
  }
  process.stdout.write('built C actors into dist/wasm with clang\n');
}
