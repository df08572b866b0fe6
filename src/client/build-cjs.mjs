// Builds dist/client/notebook.cjs (part of `npm run build`): the notebook
// helper and client as one CommonJS file, for Jupyter's tslab kernel, which
// runs cells as CommonJS and cannot import this ESM package directly.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
await build({
  entryPoints: [join(root, 'src/client/notebook.ts')],
  outfile: join(root, 'dist/client/notebook.cjs'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['ws', 'msgpackr', '@grpc/grpc-js', '@grpc/proto-loader'],
  // import.meta.url (the gRPC transport finds proto/ with it) has no CommonJS meaning: give it this file's URL.
  define: { 'import.meta.url': '__plexModuleUrl' },
  banner: { js: "const __plexModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
process.stdout.write('built dist/client/notebook.cjs\n');
