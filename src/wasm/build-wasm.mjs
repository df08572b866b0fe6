// Builds the AssemblyScript actors in src/wasm/actors/ into dist/wasm/*.wasm
// (part of `npm run build`). Uses asc's API in one process: starting asc
// once per file costs seconds each.
import asc from 'assemblyscript/asc';
import { mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const sources = join(root, 'src', 'wasm', 'actors');
const out = join(root, 'dist', 'wasm');
mkdirSync(out, { recursive: true });

const started = Date.now();
for (const file of readdirSync(sources).filter((f) => f.endsWith('.ts')).sort()) {
  const name = basename(file, '.ts');
  const { error, stderr } = await asc.main([
    join(sources, file),
    '--enable', 'simd',
    '-O3',
    '--runtime', 'incremental',
    '--noAssert',
    '--outFile', join(out, `${name}.wasm`),
  ]);
  if (error) {
    process.stderr.write(stderr.toString());
    process.stderr.write(`asc failed on ${file}: ${error.message}\n`);
    process.exit(1);
  }
}
process.stdout.write(`built AssemblyScript actors into dist/wasm in ${Date.now() - started} ms\n`);
